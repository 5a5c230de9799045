"""From raw level answers to MOS: screening, z-scores, rescaling, confidence, agreement.

Pure numpy/scipy on arrays so every step can be tested on simulated raters. Shapes:
S subjects, V videos, D dimensions (taxonomy order), T distortion types; a missing answer
is NaN. Levels are indices 0 (best) .. 4 (worst) as the form stores them; they enter the
arithmetic as the centre score of their 20-point band, so raw scores, z-scores and MOS all
read "higher is better".

The order follows FineVD §3.3 and ITU-R BT.500-14 Annex 2 §A2.3.1; where the kit departs
from them (the "panel" rescaling, the control and repeat screens) docs/study.md says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..taxonomy import level_center

_CENTERS = np.array([level_center(i) for i in range(5)])
#: BT.500 uses the normal 95% quantile for its confidence intervals, not Student's t.
_Z95 = 1.96


@dataclass(frozen=True)
class ScreeningConfig:
    """Every threshold of the pipeline; defaults are BT.500's where it has one."""

    #: subjects with fewer first answers than this are not used at all.
    min_videos: int = 5
    #: BT.500: an answer is an outlier beyond mean ± k·S, k = 2 when the panel's answers
    #: for that video look normal (kurtosis within `normal_kurtosis`), else sqrt(20).
    outlier_k: float = 2.0
    outlier_k_non_normal: float = float(np.sqrt(20.0))
    normal_kurtosis: tuple[float, float] = (2.0, 4.0)
    #: BT.500: reject a subject whose outlier share exceeds this ...
    reject_share: float = 0.05
    #: ... unless the outliers lean one way (|P-Q|/(P+Q) at least this): a consistent
    #: bias, which the z-scores remove, rather than noise.
    reject_asymmetry: float = 0.3
    #: reject when the mean |answer - stated level| on control videos exceeds this many levels.
    control_tolerance: float | None = 1.0
    #: reject when the mean |first - repeat| on hidden repeats exceeds this many levels.
    repeat_tolerance: float | None = 1.25
    #: "panel": z-scores back on the panel's average scale (keeps level bands meaningful);
    #: "fixed": the 100·(z+3)/6 common in video-quality datasets.
    rescale: str = "panel"
    split_half_rounds: int = 200
    seed: int = 0


@dataclass
class RaterStats:
    """Per subject (arrays of length S) plus the reasons each rejected subject was dropped."""

    n_videos: np.ndarray
    outliers_high: np.ndarray
    outliers_low: np.ndarray
    tested: np.ndarray
    control_error: np.ndarray
    repeat_error: np.ndarray
    repeat_pairs: np.ndarray
    #: SRCC of the subject's answers with the MOS of the accepted others, mean over dimensions.
    srcc_with_others: np.ndarray
    #: (S, D): dimensions in which the subject gave one level only, so no z-score exists.
    flat: np.ndarray
    reasons: list[list[str]] = field(default_factory=list)

    @property
    def accepted(self) -> np.ndarray:
        return np.array([not r for r in self.reasons], dtype=bool)


@dataclass
class MosResult:
    mos: np.ndarray  # (V, D) 0-100
    ci95: np.ndarray  # (V, D) half-width
    n_raters: np.ndarray  # (V,) accepted subjects who answered the video
    tick_share: np.ndarray  # (V, T)
    split_half_srcc: np.ndarray  # (D,)
    raters: RaterStats


def _nanmean(x: np.ndarray, axis) -> np.ndarray:
    """nanmean without numpy's warning on all-NaN slices, which are expected here."""
    count = np.sum(np.isfinite(x), axis=axis)
    total = np.nansum(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _nanstd(x: np.ndarray, axis) -> np.ndarray:
    """Sample standard deviation (ddof=1); NaN below two values."""
    count = np.sum(np.isfinite(x), axis=axis)
    mean = _nanmean(x, axis)
    sq = np.nansum((x - np.expand_dims(mean, axis)) ** 2, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 1, np.sqrt(sq / np.maximum(count - 1, 1)), np.nan)


def level_scores(levels: np.ndarray) -> np.ndarray:
    """Level indices to the centre score of their band (0 -> 90 ... 4 -> 10)."""
    valid = np.isfinite(levels)
    scores = np.full(levels.shape, np.nan)
    scores[valid] = _CENTERS[levels[valid].astype(int)]
    return scores


def outlier_answers(
    values: np.ndarray, panel: np.ndarray, cfg: ScreeningConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.500's per-presentation test: (high, low, tested) masks for every subject's answers against
    the mean ± k·S of the `panel` subjects; presentations without spread test nobody."""
    x = np.where(panel[:, None, None], values, np.nan)
    mean = _nanmean(x, 0)
    sd = _nanstd(x, 0)
    dev = x - mean
    m2 = _nanmean(dev**2, 0)
    m4 = _nanmean(dev**4, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        kurtosis = m4 / m2**2
    low_k, high_k = cfg.normal_kurtosis
    k = np.where((kurtosis >= low_k) & (kurtosis <= high_k), cfg.outlier_k, cfg.outlier_k_non_normal)
    testable = np.isfinite(sd) & (sd > 0)
    with np.errstate(invalid="ignore"):
        high = testable & (values >= mean + k * sd)
        low = testable & (values <= mean - k * sd)
    return high, low, testable & np.isfinite(values)


def bt500_reject(high: np.ndarray, low: np.ndarray, tested: np.ndarray, cfg: ScreeningConfig) -> np.ndarray:
    """BT.500 subject rejection: many outliers (share > reject_share) that do not lean one way."""
    p = high.sum(axis=(1, 2)).astype(float)
    q = low.sum(axis=(1, 2)).astype(float)
    n = tested.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, (p + q) / np.maximum(n, 1), 0.0)
        lean = np.where(p + q > 0, np.abs(p - q) / (p + q), 1.0)
    return (share > cfg.reject_share) & (lean < cfg.reject_asymmetry)


def mean_level_error(levels: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per subject: mean |levels - reference| in levels and the number of compared answers.

    `reference` is (V, D) for stated control levels or (S, V, D) for a subject's own repeats.
    """
    diff = np.abs(levels - reference)
    return _nanmean(diff, (1, 2)), np.sum(np.isfinite(diff), axis=(1, 2))


def subject_zscores(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z = (x - mu_s) / sigma_s per subject and dimension; NaN where sigma is 0 (one level only)."""
    mu = _nanmean(scores, 1)
    sigma = _nanstd(scores, 1)
    usable = np.isfinite(sigma) & (sigma > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (scores - mu[:, None, :]) / np.where(usable, sigma, np.nan)[:, None, :]
    return z, mu, sigma


def rescale(z: np.ndarray, mu: np.ndarray, sigma: np.ndarray, accepted: np.ndarray, method: str) -> np.ndarray:
    """z-scores to 0-100. "panel" maps them onto the accepted subjects' average mean and spread
    per dimension, so a study of mostly good videos still reads "good"; "fixed" is the
    common 100·(z+3)/6, which puts every study's average video at 50."""
    if method == "fixed":
        out = 100.0 * (z + 3.0) / 6.0
    elif method == "panel":
        usable = accepted[:, None] & np.isfinite(sigma) & (sigma > 0)
        centre = _nanmean(np.where(usable, mu, np.nan), 0)
        spread = _nanmean(np.where(usable, sigma, np.nan), 0)
        out = centre + spread * z
    else:
        raise ValueError(f"unknown rescale method {method!r}; 'panel' or 'fixed'")
    return np.clip(out, 0.0, 100.0)


def mos_with_ci(rescaled: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MOS, BT.500's 95% half-width 1.96·S/sqrt(N), and N, over the subject axis."""
    n = np.sum(np.isfinite(rescaled), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ci = _Z95 * _nanstd(rescaled, 0) / np.sqrt(n)
    return _nanmean(rescaled, 0), ci, n


def _srcc(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return float("nan")
    from scipy import stats  # here, not at import: `finevq --help` should not pay for scipy.stats

    return float(stats.spearmanr(a[ok], b[ok])[0])


def split_half_srcc(rescaled: np.ndarray, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """Mean SRCC, per dimension, between the MOS of two random halves of the subjects."""
    s, _, d = rescaled.shape
    if s < 2:
        return np.full(d, np.nan)
    values = np.full((rounds, d), np.nan)
    for r in range(rounds):
        order = rng.permutation(s)
        a, b = _nanmean(rescaled[order[: s // 2]], 0), _nanmean(rescaled[order[s // 2 :]], 0)
        values[r] = [_srcc(a[:, j], b[:, j]) for j in range(d)]
    return _nanmean(values, 0)


def srcc_with_others(scores: np.ndarray, rescaled: np.ndarray, accepted: np.ndarray) -> np.ndarray:
    """Each subject's SRCC with the MOS of the accepted subjects other than themselves."""
    out = np.full(scores.shape[0], np.nan)
    for i in range(scores.shape[0]):
        others = accepted.copy()
        others[i] = False
        if not others.any():
            continue
        mos = _nanmean(rescaled[others], 0)
        out[i] = _nanmean(np.array([_srcc(scores[i, :, j], mos[:, j]) for j in range(scores.shape[2])]), 0)
    return out


def tick_shares(ticks: np.ndarray, answered: np.ndarray, accepted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of the accepted subjects who answered a video that ticked each type, and their count."""
    who = answered & accepted[:, None]
    n = who.sum(axis=0)
    ticked = (ticks & who[:, :, None]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n[:, None] > 0, ticked / np.maximum(n, 1)[:, None], np.nan), n


def compute(
    levels: np.ndarray,
    ticks: np.ndarray,
    expected: np.ndarray | None = None,
    repeats: np.ndarray | None = None,
    cfg: ScreeningConfig = ScreeningConfig(),
) -> MosResult:
    """The whole pipeline: levels (S, V, D), ticks (S, V, T) bool, stated control levels
    (V, D) and repeat answers (S, V, D), both NaN where absent."""
    s, v, d = levels.shape
    answered = np.isfinite(levels).any(axis=2)
    scores = level_scores(levels)
    n_videos = answered.sum(axis=1)
    enough = n_videos >= cfg.min_videos

    high, low, tested = outlier_answers(scores, enough, cfg)
    rejected_bt500 = bt500_reject(high, low, tested, cfg)
    expected = np.full((v, d), np.nan) if expected is None else expected
    repeats = np.full_like(levels, np.nan) if repeats is None else repeats
    control_error, _ = mean_level_error(levels, expected)
    repeat_error, repeat_pairs = mean_level_error(levels, repeats)

    reasons: list[list[str]] = []
    for i in range(s):
        why = []
        if not enough[i]:
            why.append(f"only {n_videos[i]} videos rated (minimum {cfg.min_videos})")
        if enough[i] and rejected_bt500[i]:
            p, q, n = int(high[i].sum()), int(low[i].sum()), int(tested[i].sum())
            why.append(f"BT.500: {p + q} of {n} answers outside the panel's range ({p} high, {q} low)")
        if cfg.control_tolerance is not None and control_error[i] > cfg.control_tolerance:
            why.append(f"controls: off by {control_error[i]:.2f} levels on average")
        if cfg.repeat_tolerance is not None and repeat_error[i] > cfg.repeat_tolerance:
            why.append(f"repeats: changed by {repeat_error[i]:.2f} levels on average")
        reasons.append(why)
    accepted = np.array([not r for r in reasons], dtype=bool)

    z, mu, sigma = subject_zscores(scores)
    z = np.where(accepted[:, None, None], z, np.nan)
    rescaled = rescale(z, mu, sigma, accepted, cfg.rescale)
    mos, ci, _ = mos_with_ci(rescaled)
    shares, n_raters = tick_shares(ticks, answered, accepted)

    rng = np.random.default_rng(cfg.seed)
    raters = RaterStats(
        n_videos=n_videos,
        outliers_high=high.sum(axis=(1, 2)),
        outliers_low=low.sum(axis=(1, 2)),
        tested=tested.sum(axis=(1, 2)),
        control_error=control_error,
        repeat_error=repeat_error,
        repeat_pairs=repeat_pairs,
        srcc_with_others=srcc_with_others(scores, rescaled, accepted),
        flat=answered.any(axis=1)[:, None] & ~(np.isfinite(sigma) & (sigma > 0)),
        reasons=reasons,
    )
    return MosResult(
        mos=mos,
        ci95=ci,
        n_raters=n_raters,
        tick_share=shares,
        split_half_srcc=split_half_srcc(rescaled[accepted], cfg.split_half_rounds, rng),
        raters=raters,
    )
