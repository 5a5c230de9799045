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

Reposts also fill the sides with a blurred, enlarged copy of the picture instead of black
(a portrait phone video in a landscape frame). Those panels are soft, not dark: a panel is
a run of lines at both opposite edges, about equally thick, with almost none of the
picture's fine detail, and its edge is a straight line across the whole frame, which the
soft background of a shallow-focus shot (its sharp subject has a contour, not a line) lacks.
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
#: ... and the picture left between them keeps at least this share of the side (a portrait
#: 9:16 phone video boxed into a 16:9 frame keeps 32% of its width).
_MIN_PICTURE = 0.3
#: Bars are flat: _FLAT_SHARE of their values (the share a bar line must hold dark) lie
#: within _BAR_FLAT grey levels of their median (encoded bars vary by 0-0.7 levels; what
#: overlays cover falls outside). The
#: near-black edges of a very dark picture vary more (standard deviation 3.7 measured,
#: about a third within 2 levels) and stay in.
_BAR_FLAT = 2
_FLAT_SHARE = _BAR_SHARE
#: Soft panels are read on every fourth pixel of every fourth line (enough to tell detail
#: from blur); a line is soft when its mean absolute Laplacian is below _SOFT_RATIO of the
#: central lines' median (a test scene's copy blurred by sigma 20 px at 854x480: 0.03-0.04;
#: x264's encode of a real repost's panels beside a face: 0.11-0.19) ...
_SOFT_SCALE = 4
_SOFT_RATIO = 0.3
#: ... and the panel's edge runs straight: in each of _SOFT_BANDS bands across the frame,
#: the panel holds less than _EDGE_RATIO of the detail of the picture strip just inside
#: its edge (_SOFT_STRIP of the side wide), where a shallow-focus background continues.
_SOFT_BANDS = 4
_SOFT_STRIP = 0.03
_EDGE_RATIO = 0.3
#: The Laplacian carries the picture's detail a small pixel out over the panel, and the
#: edge falls anywhere inside a small pixel, so the soft run stops up to this many short of
#: the edge; the box starts that much further in, shaving up to 8 pixels of picture rather
#: than keeping a sliver of panel, whose straight edge reads as sharpness (a repost whose
#: box held 2 px of panel read blur 7.8 points sharper than its picture alone; set 2 small
#: pixels in, 2.9).
_SOFT_EDGE_SPILL = 2


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


def picture_box(rgb: np.ndarray, before: tuple[int, int, int, int] | None = None) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): rows and columns of the picture inside bars, as slice
    bounds; the whole frame when there are none. RGB, or a luma plane (H x W).

    `before` is the box of an earlier frame of the video: when this frame shows no bars of
    its own but is still black and flat, or still soft, where that box's bars or panels
    were, the box carries over. A picture whose edge goes dark (a scene turning to night
    beside the right bar) merges with its bar, and one whose edge is smooth for a moment
    (a cheek beside a panel) fails the panel's straight-edge test; on its own such a frame
    would be read whole, bars and all (a boxed clip whose last frames went dark read colour
    9 and blur 19 points off its picture)."""
    found = _box(rgb)
    h, w = rgb.shape[:2]
    if before is not None and found == (0, h, 0, w) and before != found and _still_framed(rgb, before):
        return before
    return found


def _still_framed(rgb: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """The outer parts of the box's margins are still mostly black and flat in this frame
    (bars), or still soft beside a picture with detail (panels)."""
    top, bottom, left, right = box
    h, w = rgb.shape[:2]
    margins = [rgb[: _outer(top)], rgb[h - _outer(h - bottom) :]] if top else []
    margins += [rgb[top:bottom, : _outer(left)], rgb[top:bottom, w - _outer(w - right) :]] if left else []
    if not margins:
        return False
    if all(m.size and np.mean(m <= _BAR_LUMA) >= _BAR_SHARE and _flat(m) for m in margins):
        return True
    small = _small_gray(rgb)
    if small is None:
        return False
    detail = _detail(small)
    t, b, l, r = (v // _SOFT_SCALE for v in (top, bottom, left, right))
    picture = float(detail[t:b, l:r].mean()) if b > t and r > l else 0.0
    # back out past the edge's own step, by as much as the box was set in from it
    k = _SOFT_EDGE_SPILL
    panels = [detail[: max(t - k, 0)], detail[b + k :]] if top else [detail[:, : max(l - k, 0)], detail[:, r + k :]]
    return picture > 0 and all(m.size and m.mean() < _SOFT_RATIO * picture for m in panels)


def _box(rgb: np.ndarray) -> tuple[int, int, int, int]:
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
    if not (top or left):
        small = _small_gray(rgb)
        if small is not None:
            detail = _detail(small)
            left, right = (_SOFT_SCALE * n for n in _soft_panels(small, detail))
            if not left:
                top, bottom = (_SOFT_SCALE * n for n in _soft_panels(small.T, detail.T))
    return top, h - bottom, left, w - right


def _small_gray(rgb: np.ndarray) -> np.ndarray | None:
    """Every _SOFT_SCALE-th pixel of luma, or of green (most of luma) for RGB: averaging
    would cost 40 times more, and skipping pixels keeps the picture's detail as detail."""
    if min(rgb.shape[:2]) < 16 * _SOFT_SCALE:
        return None
    step = slice(None, None, _SOFT_SCALE)
    return np.ascontiguousarray(rgb[step, step] if rgb.ndim == 2 else rgb[step, step, 1])


def _detail(small: np.ndarray) -> np.ndarray:
    """Absolute Laplacian: smooth gradients, which survive a blur, read 0."""
    return cv2.convertScaleAbs(cv2.Laplacian(small, cv2.CV_16S, ksize=1))


def _soft_panels(gray: np.ndarray, detail: np.ndarray) -> tuple[int, int]:
    """Thickness of soft panels at the left and right of a small grey frame, (0, 0) when none.

    Detail (`_detail`) is averaged per column: across the panel's edge the picture's detail
    jumps, along it nothing changes."""
    n = detail.shape[1]
    per_column = cv2.reduce(detail, 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
    centre = float(np.median(per_column[int(n * 0.3) : int(n * 0.7) + 1]))
    if centre <= 0:
        return 0, 0
    left, right = _pair(per_column < _SOFT_RATIO * centre)
    if not left or min(gray[:, :left].mean(), gray[:, n - right :].mean()) <= _BAR_LUMA:
        return 0, 0  # near-black sides are bars (flat) or a dark picture's edges, not panels
    strip = max(2, int(_SOFT_STRIP * n))
    for band in np.array_split(detail, _SOFT_BANDS, axis=0):
        columns = cv2.reduce(np.ascontiguousarray(band), 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel()
        # the strip starts at the edge's own step, which runs straight through every band
        inside_left = columns[left + 1 : left + 1 + strip].mean()
        inside_right = columns[n - right - 1 - strip : n - right - 1].mean()
        if not (columns[:left].mean() < _EDGE_RATIO * inside_left and columns[n - right :].mean() < _EDGE_RATIO * inside_right):
            return 0, 0
    return left + _SOFT_EDGE_SPILL, right + _SOFT_EDGE_SPILL


def _outer(thickness: int) -> int:
    """The outer three quarters of a bar: the coder's ringing off the picture's edge spills
    a few lines into it (up to 8 grey levels measured)."""
    return max(1, thickness * 3 // 4)


def _flat(region: np.ndarray) -> bool:
    values = np.ascontiguousarray(region).reshape(region.shape[0], -1)
    median = int(np.median(values))
    near = cv2.countNonZero(cv2.inRange(values, median - _BAR_FLAT, median + _BAR_FLAT))
    return near >= _FLAT_SHARE * values.size
