"""Classes of project counts per cell (the density grid of the interactive maps, the hexagons of the
static ones) with round bounds a reader takes in at a glance: 1–10, 11–50, 51–100, 101–300, 300 以上,
never "12–301 个/格".

The breaks are mapclassify's quantiles moved to the nearest number of the 1-2-3-5 series (1, 2, 3,
5, 10, 20, 30, 50, 100 …). Hand-written because mapclassify has no such rounding: its
``PrettyBreaks`` gives equal steps (0, 100, 200 …), which put almost every cell of a skewed count
in the first class.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["class_labels", "load_classifier", "nice_breaks", "nice_number"]

_SERIES = (1, 2, 3, 5)


def load_classifier() -> None:
    """Import mapclassify now (scipy.stats and scikit-learn behind it: about a second of processor
    time). ``hepinggis build`` calls it before forking its workers when every map of the package
    will class a density grid, so that the import is paid once instead of once per worker."""
    import mapclassify  # noqa: F401


def nice_number(value: float) -> int:
    """The number of the 1-2-3-5 series (…, 5, 10, 20, 30, 50, 100, …) nearest to ``value``
    (≥ 1) on a log scale."""
    if value <= 1:
        return 1
    exp = math.floor(math.log10(value))
    candidates = [m * 10**e for e in (exp, exp + 1) for m in _SERIES]
    return int(min(candidates, key=lambda c: abs(math.log10(c) - math.log10(value))))


def nice_breaks(counts: np.ndarray, *, k: int = 5) -> np.ndarray:
    """Upper bounds of at most ``k`` classes of the positive integer ``counts``: the quantile breaks
    rounded by `nice_number` (duplicates merged), and last the largest count, so every count has a
    class (class i holds bins[i-1] < v ≤ bins[i], as mapclassify's)."""
    counts = np.asarray(counts, dtype=float)
    top = float(counts.max())
    kk = max(1, min(k, len(np.unique(counts))))
    if kk == 1:
        return np.array([top])
    import mapclassify  # here: its import (scipy, scikit-learn) costs a second or two, paid only when a grid is classed

    with warnings.catch_warnings():  # "not enough unique values": fewer classes, merged below
        warnings.simplefilter("ignore", UserWarning)
        import mapclassify  # loaded on first use: it pulls in scipy.stats and scikit-learn (≈1 s)

        raw = np.asarray(mapclassify.Quantiles(counts, k=kk).bins, dtype=float)[:-1]
    inner = sorted({nice_number(b) for b in raw if b >= 1})
    inner = [b for b in inner if b < top]
    return np.array([*inner, top], dtype=float)


def class_labels(bins: np.ndarray, *, lowest: int = 1, unit: str = "个/格") -> list[str]:
    """Chinese labels of the classes of `nice_breaks`: ``1–10 个/格``, ``11–50 个/格`` … and, for
    the last class above a round break, ``超过 300 个/格`` (its top is the largest count, not a
    round number). One class: ``1–7 个/格``."""
    bounds = [int(b) for b in bins]
    labels = []
    for i, hi in enumerate(bounds):
        lo = lowest if i == 0 else bounds[i - 1] + 1
        if i == len(bounds) - 1 and i > 0:
            labels.append(f"超过 {bounds[i - 1]} {unit}")
        elif lo < hi:
            labels.append(f"{lo}–{hi} {unit}")
        else:
            labels.append(f"{hi} {unit}")
    return labels
