"""MultiTaskSampler: epochs cover every row once, ranks split one global batch, states resume exactly."""

from __future__ import annotations

import numpy as np
import pytest

from asen_fm.training.data import MultiTaskSampler, task_probabilities


def _draw(sampler: MultiTaskSampler) -> tuple[str, np.ndarray]:
    task = sampler.next_task()
    return task, sampler.next_rows(task)


def test_probabilities_balanced_and_proportional() -> None:
    sizes = {"a": 100, "b": 300}
    assert task_probabilities(sizes, "balanced") == {"a": 0.5, "b": 0.5}
    assert task_probabilities(sizes, "proportional") == {"a": 0.25, "b": 0.75}
    with pytest.raises(ValueError, match="unknown task weighting"):
        task_probabilities(sizes, "uniformish")
    with pytest.raises(ValueError, match="no training rows"):
        task_probabilities({"a": 0}, "balanced")


def test_every_row_once_per_epoch_even_across_epoch_boundaries() -> None:
    sampler = MultiTaskSampler({"only": 10}, batch_size=4, seed=3)
    rows = np.concatenate([sampler.next_rows("only") for _ in range(5)])  # 20 rows = exactly 2 epochs
    assert sorted(rows[:10]) == list(range(10))
    assert sorted(rows[10:]) == list(range(10))
    assert not np.array_equal(rows[:10], rows[10:])  # each epoch is reshuffled


def test_ranks_take_disjoint_slices_of_one_global_batch() -> None:
    sizes = {"a": 37, "b": 50}
    single = MultiTaskSampler(sizes, batch_size=8, seed=1, num_processes=1)
    ranks = [MultiTaskSampler(sizes, batch_size=4, seed=1, num_processes=2, process_index=r) for r in (0, 1)]
    for _ in range(30):
        task, rows = _draw(single)
        (task0, rows0), (task1, rows1) = (_draw(r) for r in ranks)
        assert task0 == task1 == task
        assert np.array_equal(np.concatenate([rows0, rows1]), rows)


@pytest.mark.parametrize("weighting", ["balanced", "proportional"])
def test_task_frequencies_follow_the_weighting(weighting: str) -> None:
    sizes = {"a": 100, "b": 300}
    sampler = MultiTaskSampler(sizes, batch_size=2, seed=0, weighting=weighting)
    draws = [sampler.next_task() for _ in range(4000)]
    expected = task_probabilities(sizes, weighting)["a"]
    share = draws.count("a") / len(draws)
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / len(draws))


def test_task_and_rows_can_be_drawn_separately() -> None:
    sizes = {"a": 20, "b": 30}
    together, apart = (MultiTaskSampler(sizes, batch_size=3, seed=2) for _ in range(2))
    for _ in range(10):
        task, rows = _draw(together)
        assert apart.next_task() == task
        assert np.array_equal(apart.next_rows(task), rows)
    extra = apart.next_rows("a")  # more rows of one task without a new draw, as for accumulation
    assert len(extra) == 3 and apart.draws == 10


def test_state_dict_continues_the_same_sequence() -> None:
    sizes = {"a": 13, "b": 29, "c": 7}
    straight = MultiTaskSampler(sizes, batch_size=5, seed=9)
    for _ in range(11):
        _draw(straight)
    state = straight.state_dict()
    resumed = MultiTaskSampler(sizes, batch_size=5, seed=9)
    resumed.load_state_dict(state)
    for _ in range(20):
        (t1, r1), (t2, r2) = _draw(straight), _draw(resumed)
        assert t1 == t2 and np.array_equal(r1, r2)
    assert resumed.draws == straight.draws == 31


def test_loading_a_state_from_another_setup_is_refused() -> None:
    state = MultiTaskSampler({"a": 10}, batch_size=4, seed=0).state_dict()
    with pytest.raises(ValueError, match="batch_size"):
        MultiTaskSampler({"a": 10}, batch_size=8, seed=0).load_state_dict(state)
    with pytest.raises(ValueError, match="tasks"):
        MultiTaskSampler({"b": 10}, batch_size=4, seed=0).load_state_dict(state)


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        MultiTaskSampler({"a": 10}, batch_size=0)
    with pytest.raises(ValueError, match="process_index"):
        MultiTaskSampler({"a": 10}, batch_size=2, num_processes=2, process_index=2)
