"""Symmetry selection: train candidate groups side by side with several seeds and rank them with their noise.

``select`` is the Python form of ``asen select``; ``auto_candidates`` proposes groups from a task's
structure; ``paired_t_test`` is the comparison the report uses.
"""

from asen_fm.selection.candidates import Candidate, CandidateError, auto_candidates, parse_candidates
from asen_fm.selection.select import Selection, SelectionError, plan_selection, select
from asen_fm.selection.statistics import TEST_NAME, paired_t_test

__all__ = [
    "TEST_NAME",
    "Candidate",
    "CandidateError",
    "Selection",
    "SelectionError",
    "auto_candidates",
    "paired_t_test",
    "parse_candidates",
    "plan_selection",
    "select",
]
