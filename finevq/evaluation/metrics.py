"""Score correlation the way VQA papers report it, so finevq's numbers compare with theirs.

SRCC and KRCC are rank statistics and need no mapping. PLCC and RMSE are computed after
the VQEG four-parameter logistic maps predicted scores onto the human scale, because a
model is judged on how well it orders and spaces videos, not on sharing the human scale's
curvature. Bootstrap intervals resample videos, the unit a benchmark samples.
"""

from __future__ import annotations

import math
import warnings
from typing import Literal, Sequence

import numpy as np
from pydantic import BaseModel
from scipy import stats
from scipy.optimize import curve_fit
from scipy.special import expit

#: Fewer labelled videos than this give no meaningful correlation at all.
MIN_VIDEOS = 3


def logistic4(x, b1: float, b2: float, b3: float, b4: float):
    """VQEG's monotone logistic, b2 + (b1 - b2) / (1 + exp(-(x - b3) / |b4|)), without overflow."""
    return b2 + (b1 - b2) * expit((np.asarray(x, dtype=float) - b3) / abs(b4))


class Fit(BaseModel):
    """The predicted-to-human mapping that PLCC and RMSE were measured after."""

    kind: Literal["logistic", "linear"]
    params: tuple[float, ...]

    def __call__(self, x) -> np.ndarray:
        if self.kind == "logistic":
            return logistic4(x, *self.params)
        slope, intercept = self.params
        return slope * np.asarray(x, dtype=float) + intercept


def _sse(fit: Fit, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((fit(x) - y) ** 2))


def fit_mapping(predicted: Sequence[float], truth: Sequence[float]) -> Fit:
    """Fit truth ≈ logistic4(predicted); fall back to a straight line when the logistic fails.

    The start spans the human range (b1 = max, b2 = min) centred on the predictions
    (b3 = mean, b4 = std), which converges on real data without tuning. The logistic
    "fails" when curve_fit raises (too few points, no convergence), returns non-finite
    parameters, or fits worse than a straight line: it contains near-linear shapes, so a
    worse fit means a poor local optimum, and the line is the more faithful mapping.
    """
    x, y = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    slope, intercept = np.polyfit(x, y, 1) if np.ptp(x) > 0 else (0.0, float(np.mean(y)))
    linear = Fit(kind="linear", params=(float(slope), float(intercept)))
    spread = float(np.std(x))
    p0 = (float(np.max(y)), float(np.min(y)), float(np.mean(x)), spread or 1.0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, _ = curve_fit(logistic4, x, y, p0=p0, maxfev=10000)
    except (RuntimeError, ValueError, TypeError):
        return linear
    if not np.all(np.isfinite(params)) or params[3] == 0:
        return linear
    logistic = Fit(kind="logistic", params=tuple(float(p) for p in params))
    return logistic if _sse(logistic, x, y) <= _sse(linear, x, y) else linear


class Estimate(BaseModel):
    """A statistic with its 95% percentile-bootstrap interval (None when not bootstrapped)."""

    value: float
    low: float | None = None
    high: float | None = None


class DimensionMetrics(BaseModel):
    n: int
    srcc: Estimate | None = None
    krcc: Estimate | None = None
    plcc: Estimate | None = None
    rmse: Estimate | None = None
    fit: Fit | None = None
    #: Why the statistics are missing; None when they were computed.
    unavailable: str | None = None

    @property
    def available(self) -> bool:
        return self.unavailable is None


def _point(x: np.ndarray, y: np.ndarray, fit: Fit) -> tuple[float, float, float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: scipy warns and returns nan, which is the answer
        mapped = fit(x)
        return (
            float(stats.spearmanr(x, y).statistic),
            float(stats.kendalltau(x, y).statistic),
            float(stats.pearsonr(mapped, y).statistic) if np.ptp(mapped) > 0 else math.nan,
            float(np.sqrt(np.mean((mapped - y) ** 2))),
        )


def _rowwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def _resample_ranks(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Average ranks of values[index] within each row, from per-row counts of the distinct
    values instead of a sort per row (rankdata on 1000 x 7000 takes seconds)."""
    distinct, code = np.unique(values, return_inverse=True)
    rows, width = index.shape[0], len(distinct)
    codes = code[index]
    cells = (np.arange(rows)[:, None] * width + codes).ravel()
    counts = np.bincount(cells, minlength=rows * width).reshape(rows, width)
    average = np.cumsum(counts, axis=1) - (counts - 1) / 2.0
    return np.take_along_axis(average, codes, axis=1)


def _bootstrap(x: np.ndarray, y: np.ndarray, fit: Fit, resamples: int, seed: int) -> np.ndarray:
    """(resamples, 4) statistics on videos drawn with replacement.

    Refitting the logistic per resample costs a hundred times the rest, so the curve's
    shape (b3, b4) is held at the full-data fit and its scale (b1, b2) is refitted per
    resample in closed form: a least-squares affine refit leaves PLCC unchanged and makes
    RMSE = std(truth) * sqrt(1 - PLCC²), the same identity the full fit satisfies. KRCC
    has no cheap vector form and loops (about 2 ms a resample at 7,000 videos).
    """
    index = np.random.default_rng(seed).integers(0, len(x), size=(resamples, len(x)))
    xs, ys = x[index], y[index]
    srcc = _rowwise_pearson(_resample_ranks(x, index), _resample_ranks(y, index))
    plcc = _rowwise_pearson(fit(xs), ys)
    # a constant mapping (nan PLCC) is best refitted by the mean: RMSE = std(truth)
    rmse = ys.std(axis=1) * np.sqrt(np.clip(1.0 - np.nan_to_num(plcc) ** 2, 0.0, None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        krcc = np.array([stats.kendalltau(a, b).statistic for a, b in zip(xs, ys)])
    return np.column_stack([srcc, krcc, plcc, rmse])


def correlate(predicted: Sequence[float], truth: Sequence[float], *, bootstrap: int = 1000, seed: int = 0) -> DimensionMetrics:
    """SRCC, KRCC, PLCC and RMSE of one dimension; unavailable rather than an error below MIN_VIDEOS."""
    x, y = np.asarray(predicted, dtype=float), np.asarray(truth, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} predictions for {len(y)} labels")
    if len(x) < MIN_VIDEOS:
        return DimensionMetrics(n=len(x), unavailable=f"{len(x)} video(s) with a label and a prediction; at least {MIN_VIDEOS} are needed")
    fit = fit_mapping(x, y)
    point = _point(x, y, fit)
    bounds: list[tuple[float | None, float | None]] = [(None, None)] * 4
    if bootstrap > 0:
        samples = _bootstrap(x, y, fit, bootstrap, seed)
        for j in range(4):
            finite = samples[:, j][np.isfinite(samples[:, j])]
            if finite.size:
                low, high = np.percentile(finite, [2.5, 97.5])
                bounds[j] = (float(low), float(high))
    srcc, krcc, plcc, rmse = (Estimate(value=v, low=lo, high=hi) for v, (lo, hi) in zip(point, bounds))
    return DimensionMetrics(n=len(x), srcc=srcc, krcc=krcc, plcc=plcc, rmse=rmse, fit=fit)
