"""The noise in a selection: mean ± std over seeds, and a paired t-test of each candidate against the best.

Runs of different candidates with the same seed share the data, the initialisation seed and the batch
order, so their difference is paired by seed: d_s = best_s - other_s, oriented so that d > 0 means the best
candidate is better. The test is the two-sided paired t-test, t = mean(d) / (sd(d) / sqrt(k)) with k - 1
degrees of freedom; a candidate is *within noise* of the best when p >= alpha. With few seeds the test has
little power: ``detectable`` is the smallest mean difference it would have called at this spread,
t_(1 - alpha/2, k - 1) * sd(d) / sqrt(k); differences below it are not evidence of equality.

The t distribution is computed here (regularised incomplete beta by Lentz's continued fraction), so the
package needs no SciPy; the tests check it against SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ALPHA", "TEST_NAME", "PairedComparison", "paired_t_test", "student_t_cdf", "student_t_quantile"]

ALPHA = 0.05
TEST_NAME = "two-sided paired t-test over seeds (alpha = 0.05)"


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < eps:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularised incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p (bisection on the CDF; p in (0, 1))."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie in (0, 1), got {p}")
    low, high = -1.0, 1.0
    while student_t_cdf(low, df) > p:
        low *= 2.0
    while student_t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if student_t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


@dataclass(frozen=True)
class PairedComparison:
    """The best candidate against one other, over the seeds both finished."""

    seeds: int
    mean: float  # mean of d = best - other, oriented so that d > 0: the best is better
    std: float  # sample std of d (ddof 1)
    t: float | None  # None with fewer than 2 seeds
    p: float | None
    detectable: float | None  # smallest |mean d| the test would call at this spread

    @property
    def tested(self) -> bool:
        return self.p is not None

    @property
    def within_noise(self) -> bool:
        """Not distinguishable from the best (untested with one seed counts as within noise)."""
        return self.p is None or self.p >= ALPHA

    def to_json(self) -> dict[str, float | int | bool | None]:
        return {
            "seeds": self.seeds,
            "mean_difference": self.mean,
            "std_difference": self.std,
            "t": self.t,
            "p": self.p,
            "detectable_difference": self.detectable,
            "within_noise": self.within_noise,
        }


def paired_t_test(best: Sequence[float], other: Sequence[float], higher_is_better: bool) -> PairedComparison:
    """Paired t-test of ``best`` against ``other`` (same seeds, same order)."""
    a, b = np.asarray(best, dtype=float), np.asarray(other, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"paired values need the same non-zero number of seeds, got {a.size} and {b.size}")
    d = a - b if higher_is_better else b - a
    k = d.size
    mean = float(d.mean())
    if k < 2:
        return PairedComparison(k, mean, 0.0, None, None, None)
    std = float(d.std(ddof=1))
    critical = student_t_quantile(1.0 - ALPHA / 2.0, k - 1)
    detectable = critical * std / math.sqrt(k)
    if std == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
    else:
        t = mean / (std / math.sqrt(k))
    p = 1.0 if t == 0.0 else 2.0 * (1.0 - student_t_cdf(abs(t), k - 1))
    return PairedComparison(k, mean, std, t, min(1.0, max(0.0, p)), detectable)
