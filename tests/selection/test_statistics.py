"""The paired t-test of ``asen select`` against closed forms and (where installed) SciPy."""

from __future__ import annotations

import math

import pytest

from asen_fm.selection.statistics import paired_t_test, student_t_cdf, student_t_quantile


@pytest.mark.parametrize("t", [-7.0, -1.3, -0.2, 0.0, 0.4, 2.0, 12.0])
def test_t_cdf_matches_closed_forms(t: float) -> None:
    assert student_t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)  # Cauchy
    assert student_t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


def test_quantiles_of_the_textbook_table() -> None:
    for df, value in ((1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (30, 2.0423)):
        assert student_t_quantile(0.975, df) == pytest.approx(value, abs=1e-4)


def test_against_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    best, other = [0.91, 0.88, 0.93, 0.9], [0.85, 0.86, 0.84, 0.9]
    ours = paired_t_test(best, other, higher_is_better=True)
    theirs = stats.ttest_rel(best, other)
    assert ours.t == pytest.approx(theirs.statistic) and ours.p == pytest.approx(theirs.pvalue)
    for df in (1, 3, 7):
        for t in (-2.5, 0.3, 5.0):
            assert student_t_cdf(t, df) == pytest.approx(stats.t.cdf(t, df), abs=1e-10)


def test_orientation_and_edge_cases() -> None:
    lower = paired_t_test([0.1, 0.2, 0.15], [0.5, 0.6, 0.52], higher_is_better=False)  # errors: lower wins
    assert lower.mean > 0 and not lower.within_noise and lower.p < 0.05
    one = paired_t_test([0.9], [0.5], higher_is_better=True)
    assert not one.tested and one.within_noise and one.p is None  # one seed: nothing to test against
    same = paired_t_test([0.5, 0.6], [0.5, 0.6], higher_is_better=True)
    assert same.p == 1.0 and same.within_noise
    constant = paired_t_test([0.7, 0.8, 0.9], [0.6, 0.7, 0.8], higher_is_better=True)
    assert constant.p == 0.0 and not constant.within_noise  # the same gap on every seed
    # the detectable difference is t(0.975, k - 1) * sd / sqrt(k)
    assert lower.detectable == pytest.approx(student_t_quantile(0.975, 2) * lower.std / math.sqrt(3))
    with pytest.raises(ValueError, match="same non-zero number of seeds"):
        paired_t_test([1.0, 2.0], [1.0], higher_is_better=True)
