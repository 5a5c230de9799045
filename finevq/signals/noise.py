"""Noise signals: random grain, isolated impulses and line-wise stripes, in grey levels.

All three are read on native pixels (the caller passes a native-resolution crop), because
any resampling averages noise away. Each is built to ignore the picture: grain is read in
the flattest parts of the frame, impulses must stand alone against all their neighbours,
and stripes must run across the whole frame.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection

import cv2
import numpy as np

from . import read

#: Immerkaer's operator, the difference of two Laplacians, is the outer product of two
#: second differences; it is blind to planes and ramps.
_SECOND_DIFF = np.array([1, -2, 1], np.float32)
_BLOCK = 16
#: Share of the eligible blocks, the flattest first, that the grain estimate averages.
_FLAT_SHARE = 0.1
#: Blocks this close to black or white have their noise clipped away and are skipped.
_CLIP_MARGIN = 12.0
#: An impulse stands out from every one of its 8 neighbours by this many grey levels; even
#: luma grain of sigma 20 clears that only about once in 10,000 pixels.
_IMPULSE_JUMP = 64
_RING = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8)
#: Vertical (and horizontal) strips whose line means must agree to call a line a stripe.
_STRIPS = 8


def measure(rgb: np.ndarray, gray: np.ndarray, wanted: Collection[str] | None = None) -> dict[str, float]:
    del rgb  # grain in the colour channels shows in luma too, at a known fraction

    @functools.cache
    def impulses() -> np.ndarray:
        return cv2.compare(_prominence(gray), _IMPULSE_JUMP, cv2.CMP_GE)

    return read(
        {
            "noise_sigma": lambda: _grain_sigma(gray, impulses()),
            "noise_pulse": lambda: cv2.countNonZero(impulses()) / gray.size,
            "noise_stripe": lambda: _stripe_amplitude(gray),
        },
        wanted,
    )


def _prominence(g: np.ndarray) -> np.ndarray:
    """How far (grey levels, uint8) each pixel rises above or sinks below all 8 neighbours.

    Salt and pepper, dead and hot pixels stand alone; a one-pixel line or a text stroke has
    neighbours along it, and grain and texture rarely clear all eight by a wide margin, so
    unlike a distance to the median this stays near zero on clean pictures.
    """
    g8 = cv2.convertScaleAbs(g)  # rounds and saturates to 0-255
    above = cv2.subtract(g8, cv2.dilate(g8, _RING))
    below = cv2.subtract(cv2.erode(g8, _RING), g8)
    return cv2.max(above, below)


def _grain_sigma(g: np.ndarray, impulses: np.ndarray) -> float:
    """Immerkaer's fast noise estimate, averaged over the flattest 16x16 blocks.

    The operator cancels smooth shading, and textures and edges only ever add to it, so
    the blocks where it reads lowest are the ones where it reads the noise. Gaussian noise
    of sigma s gives a mean absolute response of 6 s sqrt(2/pi). Pixels next to impulses
    are left out: impulses have their own signal and would swamp this one.
    """
    h, w = (g.shape[0] // _BLOCK) * _BLOCK, (g.shape[1] // _BLOCK) * _BLOCK
    if h == 0 or w == 0:
        return 0.0
    g = g[:h, :w]
    response = cv2.absdiff(cv2.sepFilter2D(g, cv2.CV_32F, _SECOND_DIFF, _SECOND_DIFF, borderType=cv2.BORDER_REFLECT), 0.0)
    grid = (w // _BLOCK, h // _BLOCK)
    block_sigma = cv2.resize(response, grid, interpolation=cv2.INTER_AREA).ravel()
    kept = np.ones_like(block_sigma)
    if cv2.countNonZero(impulses):
        near = cv2.dilate(impulses[:h, :w], np.ones((3, 3), np.uint8))
        cv2.subtract(response, response, dst=response, mask=near)
        kept = 1.0 - cv2.resize(near, grid, interpolation=cv2.INTER_AREA).ravel() / 255.0
        block_sigma = cv2.resize(response, grid, interpolation=cv2.INTER_AREA).ravel() / np.maximum(kept, 1e-3)
    level = g[_BLOCK // 2 :: _BLOCK, _BLOCK // 2 :: _BLOCK].ravel()  # a block's centre pixel is close enough
    eligible = block_sigma[(level > _CLIP_MARGIN) & (level < 255.0 - _CLIP_MARGIN) & (kept > 0.5)]
    if eligible.size == 0:
        return 0.0
    k = max(1, int(_FLAT_SHARE * eligible.size))
    return float(np.partition(eligible, k - 1)[:k].mean() * (math.sqrt(math.pi / 2) / 6))


def _stripe_amplitude(g: np.ndarray) -> float:
    """Typical offset (grey levels) of whole rows or columns against their neighbours.

    Each line's mean is taken over several strips and high-passed across lines; a stripe
    moves every strip the same way, an edge of the picture only some, so the median over
    strips keeps stripes and drops content. For independent line offsets of size a the
    high-pass has size a * sqrt(1.5). The worse of rows and columns counts.
    """
    h, w = g.shape
    worst = 0.0
    if h >= 3 and w >= _STRIPS:
        step = w // _STRIPS
        rows = np.hstack([cv2.reduce(g[:, i * step : (i + 1) * step], 1, cv2.REDUCE_AVG) for i in range(_STRIPS)])
        worst = _common_offset(rows)
    if w >= 3 and h >= _STRIPS:
        step = h // _STRIPS
        cols = np.vstack([cv2.reduce(g[i * step : (i + 1) * step], 0, cv2.REDUCE_AVG) for i in range(_STRIPS)])
        worst = max(worst, _common_offset(cols.T))
    return worst


def _common_offset(means: np.ndarray) -> float:
    """Robust size of the strip-median high-pass over lines; means is lines x strips.

    A median over lines (scaled to a standard deviation) so that the few lines where a
    horizon or a letterbox edge crosses the whole frame do not read as stripes.
    """
    highpass = means[1:-1] - 0.5 * (means[:-2] + means[2:])
    common = np.median(highpass, axis=1)
    return float(1.4826 * np.median(np.abs(common)) / math.sqrt(1.5))
