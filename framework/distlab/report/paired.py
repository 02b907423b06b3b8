"""Differences to a baseline: between treatments (paired trials) and between sweeps.

Trial seeds do not depend on the treatment, so in the same case configuration and repeat every
treatment meets the same random world (common random numbers). The difference of two treatments is
then best measured trial by trial: the mean of the paired differences, with the 95% confidence interval
of that mean (:mod:`distlab.report.stats`), is much narrower than the two means' intervals suggest,
because the world's randomness cancels. Trials pair on every config column but the compared one (and
its component's parameters, preset, version and code), plus ``repeat`` and ``trial_seed``. Where no
trial pairs (two sweeps with other seeds), the difference of the means is given with the interval of a
difference of independent means.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from distlab.report.stats import mean_ci95
from distlab.status import OK

if TYPE_CHECKING:
    import polars as pl

    from distlab.study import Metric

__all__ = ["differences"]

_PROVENANCE_SUFFIXES = (".version", ".code", ".sha256")


def differences(results: pl.DataFrame, compared: str, baseline: str, settings: list[str],
                config_columns: list[str], metrics: list[Metric]) -> pl.DataFrame:
    """Each compared value's difference to ``baseline``, per setting and metric.

    Args:
        results: every trial, with ``compared`` holding the treatment (or sweep) of each.
        compared: the column compared.
        baseline: its value every other is compared to.
        settings: the columns that make a setting (rows are per setting and compared value).
        config_columns: the config columns (pairing uses those that are not ``compared``'s own).
        metrics: the metrics to compare.

    Returns:
        One row per (setting, compared value ≠ baseline): the settings, ``compared``, ``pairs`` (0 when
        the difference is of unpaired means), and per metric ``NAME`` (mean difference) and
        ``NAME:half`` (half-width of its 95% confidence interval).
    """
    import polars as pl

    ok = results.filter(pl.col("status") == OK)
    own = (compared, f"{compared}.", )
    pair_on = [c for c in config_columns if c in ok.columns and c != compared and not c.startswith(own[1])
               and not c.endswith(_PROVENANCE_SUFFIXES) and c not in ("sweep",)]
    pair_on += ["repeat", "trial_seed"]
    names = [m.name for m in metrics if m.name in ok.columns and ok.schema[m.name].is_numeric()]
    values = ok.select(*dict.fromkeys([*settings, *pair_on, compared]), *[pl.col(n).cast(pl.Float64) for n in names])
    base = values.filter(pl.col(compared) == baseline).drop(compared)
    others = values.filter(pl.col(compared) != baseline)
    keys = list(dict.fromkeys([*settings, *pair_on]))
    joined = others.join(base.select(*keys, *[pl.col(n).alias(f"{n}:base") for n in names]),
                         on=keys, how="inner", nulls_equal=True)
    rows: list[dict[str, object]] = []
    group_keys = [*settings, compared]
    for key, frame in others.group_by(group_keys, maintain_order=True):
        row: dict[str, object] = dict(zip(group_keys, key))
        match = joined
        for column, value in zip(group_keys, key):
            match = match.filter(pl.col(column).eq_missing(value))
        row["pairs"] = match.height
        for n in names:
            if match.height:
                diffs = [a - b for a, b in zip(match[n].to_list(), match[f"{n}:base"].to_list())
                         if a is not None and b is not None]
                mean, half = mean_ci95(diffs) if diffs else (math.nan, math.nan)
            else:
                # Nothing pairs: the difference of two independent means.
                ref = base
                for column, value in zip(settings, key[: len(settings)]):
                    ref = ref.filter(pl.col(column).eq_missing(value))
                a = [v for v in frame[n].to_list() if v is not None]
                b = [v for v in ref[n].to_list() if v is not None]
                if not a or not b:
                    mean, half = math.nan, math.nan
                else:
                    (ma, ha), (mb, hb) = mean_ci95(a), mean_ci95(b)
                    mean, half = ma - mb, math.hypot(ha, hb)
            row[n], row[f"{n}:half"] = mean, half
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
