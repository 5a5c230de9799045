"""Letterbox and pillarbox bars: black borders added to fit a picture into another shape.

They are not part of the picture a viewer judges, yet every whole-frame statistic reads
them: a 4:3 clip boxed into 16:9 measured 30 points darker in colour than itself. So the
spatial path measures the picture inside them. Only bars that look like bars count: near
black and flat along most of the line, on both opposite sides, about equally thick; a dark
scene whose top lines happen to be black has no matching bottom bar, and the dark edges of
an underexposed picture are not flat, so both are left whole. "Most", not all: UGC puts
channel names, logos and watermarks in its bars (one training source's pug icon and title
covered 14% of its pillarbox columns, so its bars went unseen and the 42% of black pixels
they held read as crushed shadows).
"""

from __future__ import annotations

import cv2
import numpy as np

#: A line is bar when this share of its colour values are at most _BAR_LUMA (video black is
#: 16; coding noise and the bar's edge ring lift a few; overlays take the rest).
_BAR_LUMA = 32
_BAR_SHARE = 0.8
#: A bar is at least this share of the side it crosses...
_MIN_BAR = 0.02
#: ... the two opposite bars differ by at most this share of the larger one (or 8 px) ...
_BAR_MISMATCH = 0.25
#: ... and the picture left between them keeps at least this share of the side.
_MIN_PICTURE = 0.4
#: Bars are flat: _FLAT_SHARE of their values (the share a bar line must hold dark) lie
#: within _BAR_FLAT grey levels of their median (encoded bars vary by 0-0.7 levels; what
#: overlays cover falls outside). The
#: near-black edges of a very dark picture vary more (standard deviation 3.7 measured,
#: about a third within 2 levels) and stay in.
_BAR_FLAT = 2
_FLAT_SHARE = _BAR_SHARE


def _bar_lines(dark: np.ndarray) -> int:
    """How many leading entries of a per-line 'is bar' vector are bar."""
    light = np.flatnonzero(~dark)
    return int(light[0]) if light.size else len(dark)


def _pair(dark_lines: np.ndarray) -> tuple[int, int]:
    """Bar thickness at the start and the end of one axis, (0, 0) when they are not a pair."""
    n = len(dark_lines)
    first, last = _bar_lines(dark_lines), _bar_lines(dark_lines[::-1])
    if first + last > (1 - _MIN_PICTURE) * n or min(first, last) < max(2, _MIN_BAR * n):
        return 0, 0
    if abs(first - last) > max(8, _BAR_MISMATCH * max(first, last)):
        return 0, 0
    return first, last


def picture_box(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): rows and columns of the picture inside bars, as slice
    bounds; the whole frame when there are none. RGB, or a luma plane (H x W)."""
    h, w = rgb.shape[:2]
    channels = 1 if rgb.ndim == 2 else rgb.shape[2]
    lit = cv2.compare(np.ascontiguousarray(rgb).reshape(h, w * channels), _BAR_LUMA, cv2.CMP_GT)  # 255 where a value is above black
    per_row = cv2.reduce(lit, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() / (255.0 * w * channels)
    top, bottom = _pair(per_row <= 1.0 - _BAR_SHARE)
    if top and not (_flat(rgb[: _outer(top)]) and _flat(rgb[h - _outer(bottom) :])):
        top = bottom = 0
    per_column = cv2.reduce(lit[top : h - bottom], 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).reshape(w, channels).sum(axis=1) / (255.0 * channels * max(1, h - bottom - top))
    left, right = _pair(per_column <= 1.0 - _BAR_SHARE)
    if left and not (_flat(rgb[top : h - bottom, : _outer(left)]) and _flat(rgb[top : h - bottom, w - _outer(right) :])):
        left = right = 0
    return top, h - bottom, left, w - right


def _outer(thickness: int) -> int:
    """The outer three quarters of a bar: the coder's ringing off the picture's edge spills
    a few lines into it (up to 8 grey levels measured)."""
    return max(1, thickness * 3 // 4)


def _flat(region: np.ndarray) -> bool:
    values = np.ascontiguousarray(region).reshape(region.shape[0], -1)
    median = int(np.median(values))
    near = cv2.countNonZero(cv2.inRange(values, median - _BAR_FLAT, median + _BAR_FLAT))
    return near >= _FLAT_SHARE * values.size
