"""Tasks: ``Task`` (data + card, anyone's own) and the synthetic suite (paper Sec. 5.2, Tab. 3-4, App. C).

Token ids are small non-negative ints shared by all tasks (digits 0..6; letters a..z = 0..25,
A..Z = 26..51; permutation values 0..n-1); ``TaskSpec.vocab_size`` is each task's max id + 1.
"""

from asen_fm.tasks.dataset import load_task, split_sizes, task_group
from asen_fm.tasks.registry import EQUIVARIANT_TASKS, INVARIANT_TASKS, TASKS
from asen_fm.tasks.spec import TaskSpec
from asen_fm.tasks.task import CARD_FILE, Task, TaskError

__all__ = [
    "EQUIVARIANT_TASKS",
    "INVARIANT_TASKS",
    "CARD_FILE",
    "TASKS",
    "Task",
    "TaskError",
    "TaskSpec",
    "load_task",
    "split_sizes",
    "task_group",
]
