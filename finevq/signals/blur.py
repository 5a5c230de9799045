"""Blur signals: how much fine detail the frame lost, and in what pattern.

No single sharpness number works on real footage: gradient energy counts texture as
sharpness, and edge widths need edges. So several cues are measured, each normalised so
that the picture's content cancels out as far as possible (ratios of the same image at two
scales, or per-edge spreads), and each reads blur from a different side:

* ``reblur`` and ``fine_coarse`` work on the frame's own pixel grid, so they also catch
  an upscaled video that is sharp at its source resolution but soft on its own pixels;
* ``edge_width`` is in thousandths of the picture's short side, so it reads the blur a
  viewer sees on a screen of any size (a sharp 480p frame is softer than a sharp 1080p
  one);
* ``anisotropy`` and ``upscale_residue`` do not rate blur, they tell its kind (motion,
  resolution) once the other cues say there is some.

Frames without structure (a flat fade) give no evidence of blur and read as sharp.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection

import cv2
import numpy as np

from . import read

#: Smoothing scales (in half-resolution pixels) of the two gradients compared at each edge.
_SIGMA_FINE, _SIGMA_COARSE = 1.0, 2.0
#: A central difference adds the variance of a 2-px linear interpolation, 1/3 px^2.
_DIFF_VAR = 1.0 / 3.0
#: 10-90 % rise distance of a Gaussian edge, in units of its sigma.
_WIDTH_PER_SIGMA = 2.563
#: A pixel's own footprint (px): spreads well below it cannot be told apart, so they are
#: added to it in quadrature rather than read as noise around zero.
_PIXEL_SIGMA = 0.5
#: An orientation (45-degree bin) needs this many ridge points to be measured ...
_MIN_BIN_EDGES = 30
#: ... and the fifth of them with the most contrast is measured, where the step model fits
#: best. A regular subsample of ridge points is plenty for medians.
_TOP_EDGES = 0.2
_MAX_RIDGE_POINTS = 16_000
#: Gradient ratios this close to 1 mean an edge wider than the scales can resolve (~12 px).
_MIN_RATIO = 1.02
#: Half-resolution spreads from this (px) up are blended with quarter-resolution ones,
#: fully so at twice this.
_BLEND_FROM = 2.0
_REBLUR_STRIDE = 6
_TAN_22_5 = math.tan(math.pi / 8)


def measure(rgb: np.ndarray, gray: np.ndarray, wanted: Collection[str] | None = None) -> dict[str, float]:
    del rgb  # blur is a luma phenomenon; colour adds cost, not evidence

    @functools.cache
    def scales() -> tuple[np.ndarray, np.ndarray]:
        half = _downscale(gray)
        return half, _downscale(half)

    @functools.cache
    def spread() -> tuple[float, float]:
        return _edge_spread(*scales(), short_side=min(gray.shape))

    return read(
        {
            "blur_reblur": lambda: _reblur(gray),
            "blur_fine_coarse": lambda: _octave_ratio(gray, scales()[1]),
            "blur_edge_width": lambda: spread()[0],
            "blur_anisotropy": lambda: spread()[1],
            "blur_upscale_residue": lambda: _upscale_residue(gray),
        },
        wanted,
    )


def _downscale(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    return cv2.resize(img, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)


def _reblur(g: np.ndarray) -> float:
    """Crete et al.'s no-reference blur: how little a further 9-px box blur changes the frame.

    A box blur's neighbour difference is a 9-px-apart difference divided by 9, so the
    re-blurred copy never has to be built, and the share of variation the blur keeps is
    sum(min(d1, d9 / 9)) / sum(d1). Every 6th line is enough. 0 = sharp, 1 = nothing left
    to lose; the worse of the two directions counts.
    """
    h, w = g.shape
    k = _REBLUR_STRIDE
    pairs = []
    if h >= 10:  # vertical neighbours
        pairs.append((g[5 : h - 4 : k], g[4 : h - 5 : k], g[9:h:k], g[0 : h - 9 : k]))
    if w >= 10:  # horizontal neighbours
        pairs.append((g[::k, 5 : w - 4], g[::k, 4 : w - 5], g[::k, 9:w], g[::k, 0 : w - 9]))
    worst = 0.0
    for a, b, far_a, far_b in pairs:
        d1 = cv2.absdiff(a, b)
        total = cv2.sumElems(d1)[0]
        if total <= 1e-6 * d1.size:
            continue
        d9 = cv2.absdiff(far_a, far_b)
        kept = cv2.sumElems(cv2.min(d1, cv2.multiply(d9, 1.0 / 9.0)))[0]
        worst = max(worst, kept / total)
    return float(worst)


def _grad_energy(img: np.ndarray) -> float:
    h, w = img.shape
    ex = cv2.norm(img[:, 1:], img[:, :-1], cv2.NORM_L2SQR) / max(h * (w - 1), 1)
    ey = cv2.norm(img[1:], img[:-1], cv2.NORM_L2SQR) / max((h - 1) * w, 1)
    return ex + ey


def _octave_ratio(g: np.ndarray, quarter: np.ndarray) -> float:
    """log2 of native-pixel gradient energy over quarter-scale energy, scaled to equal units.

    Natural images are close to scale invariant, so per-pixel gradient energy is nearly the
    same at every pyramid level and this reads 3-5 on sharp footage of any content (4 for
    an exact 1/f picture); blur empties the two finest octaves and drives it to 0. Grain
    pushes it up.
    """
    fine = _grad_energy(g)
    coarse = _grad_energy(quarter)
    eps = 1e-6
    return math.log2((16.0 * fine + eps) / (coarse + eps))


def _edge_spread(half: np.ndarray, quarter: np.ndarray, short_side: int) -> tuple[float, float]:
    """Edge width (per mille of the short side) and its anisotropy across edge orientations.

    Measured at half resolution, and at quarter resolution where edges are already wide:
    there the same two smoothing scales still resolve them, while at half resolution the
    two gradients approach each other. The two readings are blended continuously so the
    result never jumps between them.
    """
    near = _orientation_spreads(half)
    if near is None:  # no edges at all: no evidence of blur
        near = np.zeros(4)
    far = _orientation_spreads(quarter) if near.max() > _BLEND_FROM and min(quarter.shape) >= 16 else None
    if far is not None:
        w = np.clip((near - _BLEND_FROM) / _BLEND_FROM, 0.0, 1.0)
        near = (1.0 - w) * near + w * 2.0 * far
    spread = math.hypot(2.0 * float(near.mean()), _PIXEL_SIGMA)  # in picture pixels
    width = 1000.0 * _WIDTH_PER_SIGMA * spread / short_side
    # Anisotropy compares total edge scales (spread plus the fine smoothing), so the
    # unreliable spreads of near-perfect edges cannot make a sharp frame look directional.
    total = np.sqrt(near**2 + _SIGMA_FINE**2 + _DIFF_VAR)
    return width, float((total.max() - total.min()) / (total.max() + total.min()))


def _orientation_spreads(img: np.ndarray) -> np.ndarray | None:
    """Gaussian edge spread (px of img) for edges in each of four orientations.

    A Gaussian edge of spread s smoothed by t has peak gradient proportional to
    1/sqrt(s^2 + t^2), so the ratio of peak gradients at two known t gives s regardless of
    the edge's contrast (Elder-Zucker / Zhuo-Sim); the median over edges shrugs off lines
    and textures that do not fit the step model. Edges are ranked within each orientation:
    motion blur flattens only the edges across its path, and ranking them against the
    sharp ones would drop them. Orientations with too few edges borrow the mean of the
    others; None when none has enough.
    """
    fine = cv2.GaussianBlur(img, _kernel(_SIGMA_FINE), _SIGMA_FINE)
    extra = math.sqrt(_SIGMA_COARSE**2 - _SIGMA_FINE**2)
    coarse = cv2.GaussianBlur(fine, _kernel(extra), extra)
    gx = cv2.Sobel(coarse, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(coarse, cv2.CV_32F, 0, 1)
    m_coarse = np.hypot(gx, gy)  # cv2.magnitude's rounding depends on buffer alignment: not reproducible

    # Ridge points of the coarse gradient; 4 Sobel units = 0.5 grey level per pixel.
    ridge = cv2.bitwise_and(
        cv2.compare(m_coarse, cv2.dilate(m_coarse, np.ones((3, 3), np.uint8)), cv2.CMP_GE),
        cv2.compare(m_coarse, 4.0, cv2.CMP_GT),
    )
    ridge[[0, -1]] = 0
    ridge[:, [0, -1]] = 0
    points = cv2.findNonZero(ridge)
    if points is None:
        return None
    points = points.reshape(-1, 2)[:: max(1, len(points) // _MAX_RIDGE_POINTS)]
    xs, ys = points[:, 0], points[:, 1]
    strength = m_coarse[ys, xs]
    ratio = _sobel_magnitude_at(fine, xs, ys) / strength
    ax, ay = np.abs(gx[ys, xs]), np.abs(gy[ys, xs])
    # Gradient direction in four 45-degree bins centred on 0, 45, 90 and 135 degrees.
    orient = np.where(ay < _TAN_22_5 * ax, 0, np.where(ax < _TAN_22_5 * ay, 2, np.where(gx[ys, xs] * gy[ys, xs] > 0, 1, 3)))

    # Rank by step contrast, which blur keeps, not by gradient, which it lowers: ranking by
    # gradient would pick the least blurred edges of a direction and hide motion blur.
    spread = _spread_from_ratio(ratio)
    contrast = strength * np.sqrt(spread**2 + _SIGMA_COARSE**2 + _DIFF_VAR)
    spreads = np.full(4, np.nan)
    for b in range(4):
        in_bin = orient == b
        c_b = contrast[in_bin]
        if c_b.size >= _MIN_BIN_EDGES:
            top = c_b >= np.quantile(c_b, 1.0 - _TOP_EDGES)
            spreads[b] = float(np.median(spread[in_bin][top]))
    if np.isnan(spreads).all():
        return None
    return np.where(np.isnan(spreads), np.nanmean(spreads), spreads)


def _sobel_magnitude_at(img: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """cv2.Sobel's gradient magnitude at a few interior points, without filtering it all."""
    w = img.shape[1]
    flat = img.ravel()
    at = ys.astype(np.intp) * w + xs

    def px(dy: int, dx: int) -> np.ndarray:
        return flat[at + dy * w + dx]

    gx = px(-1, 1) + 2 * px(0, 1) + px(1, 1) - px(-1, -1) - 2 * px(0, -1) - px(1, -1)
    gy = px(1, -1) + 2 * px(1, 0) + px(1, 1) - px(-1, -1) - 2 * px(-1, 0) - px(-1, 1)
    return np.hypot(gx, gy)


def _kernel(sigma: float) -> tuple[int, int]:
    """A +-3 sigma Gaussian support (OpenCV's default of +-4 sigma costs a third more)."""
    k = 2 * math.ceil(3 * sigma) + 1
    return k, k


def _spread_from_ratio(r: np.ndarray) -> np.ndarray:
    a2 = _SIGMA_FINE**2 + _DIFF_VAR
    b2 = _SIGMA_COARSE**2 + _DIFF_VAR
    r = np.clip(r, _MIN_RATIO, math.sqrt(b2 / a2))
    return np.sqrt(np.maximum((b2 - r * r * a2) / (r * r - 1.0), 0.0))


def _upscale_residue(g: np.ndarray) -> float:
    """How periodic the finest detail is along rows and columns.

    Interpolating a frame up by a factor k gives its pixels interpolation weights that
    repeat every k output pixels (period 3 for 1.5x, 2 and 4 for 2x and 4x), which leaves a
    periodic trace in the 2nd or 3rd difference; camera footage has no such period. Read
    as the share of a column profile's energy in its single strongest frequency, averaged
    over the two axes. An 8-px coding grid also repeats: its odd harmonics are skipped and
    its even ones discounted by them, so blockiness is not read as upscaling.
    """
    shares = []
    for f in (g, g.T):
        lines = np.ascontiguousarray(f[:: max(1, f.shape[0] // 64)], dtype=np.float32)
        if lines.shape[1] < 32:
            continue
        best = 0.0
        for order in (2, 3):
            d = np.diff(lines, n=order, axis=1)
            profile = np.minimum(np.abs(d), 32.0).mean(axis=0)
            spectrum = np.abs(np.fft.rfft(profile - profile.mean())) ** 2
            freq = np.fft.rfftfreq(profile.size)
            near = [np.abs(freq - k / 8.0) <= 1.5 / profile.size for k in (1, 2, 3, 4)]
            grid = max(float(spectrum[near[0]].max(initial=0.0)), float(spectrum[near[2]].max(initial=0.0)))
            for k in (1, 3):
                spectrum[near[k]] = np.maximum(spectrum[near[k]] - grid, 0.0)
            keep = (freq >= 0.04) & ~near[0] & ~near[2]
            total = float(spectrum[keep].sum())
            if total > 1e-12:
                best = max(best, float(spectrum[keep].max()) / total)
        shares.append(best)
    return float(np.mean(shares)) if shares else 0.0
