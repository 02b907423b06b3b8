"""The report's statistics: the one implementation of the 95% confidence interval of a mean.

The interval is mean ± t(0.975, n - 1) · s / sqrt(n), with s the sample standard deviation (n - 1 in
the denominator) and t Student's quantile: the interval for the mean of n independent trials of
unknown variance. It is undefined for a single trial.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

__all__ = ["ci95_half_width", "mean_ci95", "t975"]


@functools.cache
def t975(n: int) -> float:
    """The 97.5% quantile of Student's t with ``n - 1`` degrees of freedom; NaN for ``n < 2``.

    Examples:
        >>> round(t975(5), 4)
        2.7764
    """
    if n < 2:
        return float("nan")
    from scipy.stats import t

    return float(t.ppf(0.975, n - 1))


def ci95_half_width(std: float, n: int) -> float:
    """Half the width of the 95% confidence interval of a mean of ``n`` values with sample std ``std``."""
    return t975(n) * std / math.sqrt(n) if n > 1 else float("nan")


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and the half-width of its 95% confidence interval (0.0 for one value).

    Examples:
        >>> mean_ci95([1.0, 2.0, 3.0])[0]
        2.0
    """
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, ci95_half_width(std, n)
