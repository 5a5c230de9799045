"""The motion path: temporal distortions measured from a stream of low-resolution luma frames.

`MotionAnalyzer.update` does all per-pixel work as frames arrive and keeps only the previous
frame, its spectrum and eight floats per frame, so a ten-minute 60 fps video costs a few MB
and well under a millisecond per 192x108 frame. `finish` turns those series into video-level
signals, a per-second timeline and events. Heads map every signal through monotone curves,
so each one is built to grow with the strength of one distortion type of `finevq.taxonomy`
and to stay near its floor on clean content of any kind:

* every frame pair is first aligned by its global (camera) shift, so pans do not look like
  flicker, noise or scene cuts;
* scene cuts are found first and left out of every other statistic;
* a run of repeated frames is a freeze only inside moving content (see `_freeze_runs`), so a
  still scene never reads as stalling.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Frame rate assumed when neither timestamps nor a nominal rate are given.
DEFAULT_FPS = 30.0
#: Camera motion is the median of phase correlations on TILES x TILES tiles (when each is
#: at least MIN_TILE pixels on its short side): a subject filling a few tiles is outvoted.
TILES = 3
MIN_TILE = 16
#: Repeats and motion are told apart on thumbnails this many times smaller, where the
#: fine-grained noise of a re-encoded frame (a keyframe refreshing a frozen or still
#: picture) averages out but motion across edges does not.
THUMB_FACTOR = 4
#: A thumbnail pixel "changed" between frames when its luma moved by more than this (0-255).
CHANGE_DELTA = 3
#: A frame repeats its predecessor when at most this share of pixels changed; the slack
#: lets a small overlay (a buffering spinner) turn while the picture is frozen. And when
#: the mean difference is at most HELD_DIFF grey levels: slow motion over smooth content
#: changes few thumbnail pixels by more than CHANGE_DELTA (a procedural scene drifting at
#: diff 1.5 read as a run of repeats, i.e. as stalled), while a repeat differs by ~0.
HELD_SHARE = 0.01
HELD_DIFF = 0.5
#: Content is moving when at least this share of thumbnail pixels changed from the previous
#: frame, or when the frame difference is at least MOVING_DIFF grey levels and MOVING_SNR
#: times the pair's temporal noise: a slow pan over soft texture (0.2 px a frame on the
#: 192-px luma, diff 2.4) changes only ~4% of thumbnail pixels by more than CHANGE_DELTA,
#: yet a stall in it is plain to see; noise alone reads diff ~1.1 x its sigma.
MOVING_SHARE = 0.05
MOVING_DIFF = 1.0
MOVING_SNR = 3.0
#: How far either side of a run of repeated frames we look to decide it froze moving content.
CONTEXT_SECONDS = 0.5
#: A freeze at least this long is a stall (VQA²'s stalling); shorter ones are stutter.
STALL_SECONDS = 0.3
#: The stream's declared frame interval is the frame step when at least this share of the
#: intervals lies within NOMINAL_TOLERANCE of it (else the median interval is).
NOMINAL_SHARE = 0.2
NOMINAL_TOLERANCE = 0.25
#: A timestamp step above this many frame steps means frames were dropped.
GAP_FACTOR = 1.5
#: Above about twice this rate (50/60/120 fps files), showing each picture k times looks
#: as smooth as the lower rate: a 30 fps camera in a 60 fps file is not lagging. There
#: `fold` = max(round(rate / PERCEIVED_FPS), the stream's steady cadence when that still
#: shows at least SMOOTH_FPS pictures a second, e.g. 2.5 for 24 fps film in 60 fps: 3),
#: and only holds beyond the first fold - 1 of a picture count as stutter. Below it
#: (fold 1) every repeat counts, as in the benchmark's lagging clips.
PERCEIVED_FPS = 30.0
SMOOTH_FPS = 20.0
#: Camera motion that a quadratic over this window follows is intended (a pan); the rest is shake.
SHAKE_WINDOW_SECONDS = 0.5
#: Brightness changes slower than this running median are lighting or exposure, not flicker.
FLICKER_WINDOW_SECONDS = 1.0
#: A brightness step this large (relative) that reverses the previous step is a flicker swing.
FLICKER_STEP = 0.01
#: Irregularity of motion is judged against the mean over this many frame intervals; 12 is a
#: multiple of the periods (2, 3, 4, 6) of common frame-repeat patterns, so they average out.
JERK_WINDOW = 12
#: Block-mean dissimilarity (1 - correlation) a frame pair needs, and how far above its
#: neighbourhood's median it must stand, to be a scene cut rather than fast motion.
CUT_DISSIMILARITY = 0.5
CUT_JUMP = 0.3
#: Share of the flattest aligned blocks whose temporal residual measures noise: flat blocks
#: carry no texture that an imperfect alignment could leave behind.
NOISE_QUANTILE = 0.1
#: What that quantile reads for white Gaussian noise of unit sigma in both frames, so that
#: temporal_noise reads in sigma units: the mean |residual| after the 3x3 high-pass is
#: sqrt(2) * sqrt(8/9) * sqrt(2/pi) = 1.064, and the low quantile of 12x12-pixel block means
#: (a 192x108 frame) sits 9 % below it (measured).
NOISE_GAIN = 0.967
#: Per-second thresholds that turn the timeline into events.
SHAKE_EVENT = 0.005
FLICKER_EVENT = 0.01
REPEAT_EVENT = 0.2

MOTION_SIGNALS: dict[str, str] = {
    "duration": "context: seconds covered by the frames (last frame shown for one median interval).",
    "motion_mean": "context: mean absolute luma difference (0-255) of consecutive frames with any "
    "global brightness change undone, outside scene cuts and freezes; how much the content moves.",
    "global_speed": "context: camera (global) motion in frame lengths (the long side) per second, the median of "
    "phase correlations over 3x3 tiles (a moving subject is outvoted); intended pans score high "
    "here and not in shake_rms.",
    "scene_cuts": "context: number of hard cuts (aligned block correlation collapses for one frame "
    "pair); they are left out of every other signal.",
    "freeze_ratio": "stalling and lagging, higher is worse: share of the duration during which "
    "moving content stood still (repeated frames or timestamp gaps), freezes of any length.",
    "stall_count": "stalling, higher is worse: freezes of at least 0.3 s (VQA² stalls); a freeze is "
    "a sudden stop inside motion that resumes, so still scenes never count, and the intervals of a "
    "stream whose typical interval is itself a gap (below 20 fps) are its cadence, not stills "
    "(see _freeze_runs).",
    "stall_seconds": "stalling, higher is worse: total seconds of stalls.",
    "longest_stall": "stalling, higher is worse: seconds of the longest stall.",
    "stall_share": "stalling, higher is worse: stall_seconds / duration.",
    "repeat_ratio": "lagging, higher is worse: share of frame intervals in moving content that "
    "repeat the previous frame in freezes shorter than a stall (every 2nd frame repeated: 0.5); "
    "above ~45 fps a picture's repeats within a steady cadence are not counted (PERCEIVED_FPS).",
    "drop_ratio": "lagging, higher is worse: estimated share of frames missing from timestamp "
    "gaps wider than 1.5 median frame intervals (VFR aware).",
    "fps_deficit": "lagging, higher is worse: 1 - effective / nominal frame rate in moving "
    "content, where effective counts distinct frames; repeats and drops both lower it. Above "
    "~45 fps the nominal rate is taken as the rate / fold (PERCEIVED_FPS).",
    "jerkiness": "lagging (and shaking), higher is worse: frame-to-frame irregularity of the "
    "frame difference, sum|diff - local mean| / sum(local mean); steady motion reads 0, "
    "still frames alternating with double steps read 1.",
    "shake_rms": "shaking, higher is worse: RMS of the camera trajectory minus its smooth part "
    "(a local quadratic over 0.5 s), in frame lengths (the long side, so a portrait copy of a "
    "clip reads as the clip); a smooth or accelerating pan reads ~0, random per-frame jitter "
    "of r px RMS per axis reads ~r*sqrt(2)/length.",
    "flicker_rms": "flickering, higher is worse: RMS of the global log-brightness after removing "
    "its 1 s running median, i.e. the relative amplitude of fast brightness oscillation "
    "(~a/sqrt(2) for a sinusoidal gain 1 + a sin).",
    "flicker_alternation": "flickering, higher is worse: share of frame intervals whose global "
    "brightness step exceeds 1 % and reverses the previous step.",
    "temporal_noise": "temporal noise, higher is worse: sigma (0-255) of noise that changes from "
    "frame to frame, from the high-passed residual of motion-aligned frames in their flattest blocks.",
}


@dataclass
class MotionEvent:
    """A span of the video, in the timestamps' seconds. Kinds: "stall" a freeze of at least
    0.3 s; "freeze" a shorter one of at least three identical frames; "drop" a timestamp gap
    beyond the stream's own frame interval (a steady low rate drops nothing; it is the rate),
    or seconds in which at least 20 % of frames repeat; "shake" / "flicker" seconds whose
    shake_rms / flicker_rms exceed 0.005 / 0.01 (flicker over 1 s of the stream's own frames,
    see _flicker_seconds); "scene_cut" the interval between the two shots."""

    kind: str  # "freeze" | "stall" | "shake" | "flicker" | "drop" | "scene_cut"
    start: float
    end: float


@dataclass
class MotionReport:
    """signals: MOTION_SIGNALS, all finite. per_second[i]: the signals that make sense per
    second, over [i, i+1) s after the first frame (a frame pair counts in the second its later
    frame appears in). stalls: VQA²-style count, total_seconds, longest_seconds, share."""

    signals: dict[str, float]
    per_second: list[dict[str, float]]
    events: list[MotionEvent]
    stalls: dict[str, float]


class MotionAnalyzer:
    """Feed every frame in presentation order with `update`, then call `finish` once."""

    def __init__(self, nominal_fps: float | None):
        if nominal_fps is not None and not nominal_fps > 0:
            raise ValueError(f"nominal_fps must be positive, got {nominal_fps}")
        self._fps = float(nominal_fps or DEFAULT_FPS)
        self._shape: tuple[int, int] | None = None
        self._window: np.ndarray | None = None
        self._tiles = 1  # per side
        self._grid: tuple[int, int] = (16, 9)
        self._thumb: tuple[int, int] = (1, 1)
        self._prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # luma, thumbnail, spectrum
        self._pts = array("d")
        # One value per frame pair (frame i-1 -> i); names match `_Pairs`.
        self._series = {name: array("d") for name in ("diff", "changed", "dx", "dy", "gain", "dissimilarity", "noise")}

    def update(self, luma: np.ndarray, pts: float | None) -> None:
        """Measure one frame against the previous one; None pts means frame index / nominal fps."""
        luma = np.asarray(luma)
        if luma.ndim != 2 or luma.dtype != np.uint8:
            raise ValueError(f"luma must be a 2-D uint8 array, got {luma.dtype} {luma.shape}")
        if self._shape is None:
            self._start(luma.shape)
        elif luma.shape != self._shape:  # a resolution switch mid-stream (adaptive streaming)
            luma = cv2.resize(luma, self._shape[::-1], interpolation=cv2.INTER_AREA)
        else:
            luma = luma.copy()  # the caller may reuse its buffer
        self._pts.append(len(self._pts) / self._fps if pts is None else float(pts))
        frame = (luma, cv2.resize(luma, self._thumb, interpolation=cv2.INTER_AREA), self._spectrum(luma))
        if self._prev is not None:
            self._measure(self._prev, frame)
        self._prev = frame

    def finish(self) -> MotionReport:
        return _report(np.asarray(self._pts), {k: np.asarray(v) for k, v in self._series.items()},
                       self._fps, max(self._shape) if self._shape else 1)

    def _start(self, shape: tuple[int, int]) -> None:
        h, w = shape
        self._shape = shape
        self._tiles = TILES if min(h, w) >= TILES * MIN_TILE else 1
        self._window = cv2.createHanningWindow((w // self._tiles, h // self._tiles), cv2.CV_32F)
        self._grid = (16, 9) if w >= h else (9, 16)
        self._thumb = (max(1, w // THUMB_FACTOR), max(1, h // THUMB_FACTOR))

    def _spectrum(self, luma: np.ndarray) -> np.ndarray:
        """Windowed, square-root whitened spectra of the tiles: full whitening would let the
        quantisation noise of textureless high frequencies bury the correlation peak."""
        n = self._tiles
        th, tw = self._window.shape
        tiles = luma[:n * th, :n * tw].reshape(n, th, n, tw).swapaxes(1, 2).reshape(n * n, th, tw)
        f = tiles.astype(np.float32)
        f -= f.mean(axis=(1, 2), keepdims=True)  # else the window itself correlates, pinning the peak at 0
        f *= self._window
        spectrum = np.fft.rfft2(f)
        spectrum *= 1.0 / np.sqrt(np.abs(spectrum) + 1e-3)  # a real multiplier: complex division is slow
        return spectrum

    def _measure(self, before: tuple, after: tuple) -> None:
        (prev, prev_thumb, prev_spectrum), (cur, thumb, spectrum) = before, after
        s = self._series
        s["changed"].append(np.count_nonzero(cv2.absdiff(thumb, prev_thumb) > CHANGE_DELTA) / thumb.size)
        dx, dy = _global_shift(prev_spectrum, spectrum, self._window.shape)
        s["dx"].append(dx)
        s["dy"].append(dy)
        c, p = (a.astype(np.float32) for a in _aligned(cur, prev, round(dx), round(dy)))
        cb, pb = _blocks(c, self._grid), _blocks(p, self._grid)
        # The median over blocks is the global gain: moving objects change only some blocks.
        gain = _middle(np.log((cb + 1.0) / (pb + 1.0)))
        s["gain"].append(gain)
        # The frame difference with that gain undone, so flicker does not pass for motion.
        moved = cv2.addWeighted(cur, 1.0, prev, -math.exp(gain), 0.0, dtype=cv2.CV_32F)
        s["diff"].append(cv2.norm(moved, cv2.NORM_L1) / cur.size)
        s["dissimilarity"].append(_dissimilarity(cb, pb))
        residual = c - p
        high = cv2.absdiff(residual, cv2.blur(residual, (3, 3)))  # drops gain changes and smooth misfit
        s["noise"].append(_middle(_blocks(high, self._grid), NOISE_QUANTILE) / NOISE_GAIN)


def _global_shift(prev_spectrum: np.ndarray, spectrum: np.ndarray, tile: tuple[int, int]) -> tuple[float, float]:
    """(dx, dy) in pixels by which the camera moved the content from prev to cur: the median
    over tiles of each tile's phase correlation, so a moving subject that dominates a few
    tiles does not drag the camera estimate along."""
    h, w = tile
    corr = np.fft.irfft2(spectrum * prev_spectrum.conj(), s=tile)
    k = np.arange(corr.shape[0])
    py, px = np.unravel_index(corr.reshape(k.size, -1).argmax(axis=1), tile)
    centre = corr[k, py, px]
    dy = py + _vertex(corr[k, py - 1, px], centre, corr[k, (py + 1) % h, px])
    dx = px + _vertex(corr[k, py, px - 1], centre, corr[k, py, (px + 1) % w])
    return _middle(np.where(dx > w / 2, dx - w, dx)), _middle(np.where(dy > h / 2, dy - h, dy))


def _vertex(left: np.ndarray, centre: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Sub-pixel offsets of peaks from parabolas through three samples."""
    curvature = left - 2.0 * centre + right
    return np.where(curvature < 0, 0.5 * (left - right) / np.minimum(curvature, -1e-12), 0.0)


def _middle(values: np.ndarray, quantile: float = 0.5) -> float:
    """A quantile by partial sort (the upper one of two middles): np.median costs more than
    the whole rest of a small frame's per-frame work."""
    flat = values.ravel()
    k = int(quantile * flat.size)
    return float(np.partition(flat, k)[k])


def _blocks(image: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Block means on a (columns, rows) grid; cropping to a multiple of it keeps cv2 on its
    fast integer-ratio path."""
    h, w = image.shape
    return cv2.resize(image[:max(grid[1], h - h % grid[1]), :max(grid[0], w - w % grid[0])], grid,
                      interpolation=cv2.INTER_AREA)


def _aligned(cur: np.ndarray, prev: np.ndarray, ix: int, iy: int) -> tuple[np.ndarray, np.ndarray]:
    """The overlap of cur and prev after undoing an integer shift (at most a quarter frame,
    so a wild estimate across a cut still leaves a large overlap)."""
    h, w = cur.shape
    ix, iy = int(np.clip(ix, -(w // 4), w // 4)), int(np.clip(iy, -(h // 4), h // 4))
    return (cur[max(iy, 0):h + min(iy, 0), max(ix, 0):w + min(ix, 0)],
            prev[max(-iy, 0):h + min(-iy, 0), max(-ix, 0):w + min(-ix, 0)])


def _dissimilarity(a: np.ndarray, b: np.ndarray) -> float:
    """1 - correlation of block means: blind to brightness and contrast changes (flicker,
    fades), so only a change of content scores high. Flat frames (black) score 0."""
    a = a - a.mean()
    b = b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return 1.0 - float((a * b).sum()) / norm if norm > a.size else 0.0


@dataclass
class _Pairs:
    """Per frame-pair series (pair i: frame i -> i+1) and what `_report` derives from them."""

    end: np.ndarray  # seconds from the first frame until the later frame of the pair appears
    dt: np.ndarray
    diff: np.ndarray
    changed: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    gain: np.ndarray
    dissimilarity: np.ndarray
    noise: np.ndarray
    cut: np.ndarray = field(init=False)
    held: np.ndarray = field(init=False)  # the later frame repeats the earlier one
    moving: np.ndarray = field(init=False)  # content moves (see MOVING_SHARE), not a cut or a repeat
    stutter: np.ndarray = field(init=False)  # held beyond the first fold - 1 repeats of a picture
    fold: int = field(init=False)  # times a picture may be shown without stuttering (1 below ~45 fps)
    gap: np.ndarray = field(init=False)  # timestamps skip frames
    cadence: np.ndarray = field(init=False)  # a gap as long as the stream's typical interval
    hold: np.ndarray = field(init=False)  # seconds the picture stood still during the pair
    frozen: np.ndarray = field(init=False)
    stalled: np.ndarray = field(init=False)
    scope: np.ndarray = field(init=False)  # moving content outside stalls: where lagging is judged
    jerk: np.ndarray = field(init=False)  # |diff - local mean diff|
    pace: np.ndarray = field(init=False)  # local mean diff
    shake: np.ndarray = field(init=False)  # squared trajectory residual (lengths), NaN where unsampled
    flicker: np.ndarray = field(init=False)  # high-passed log brightness
    swing: np.ndarray = field(init=False)  # a brightness step reversing the previous one

    @property
    def bright(self) -> np.ndarray:
        """Pairs whose brightness change counts for flicker: not across a cut, not in a stall."""
        return ~self.cut & ~self.stalled


def _report(pts: np.ndarray, series: dict[str, np.ndarray], fps: float, length: int) -> MotionReport:
    """Classify the pairs (cut, repeat, gap, freeze, stall), then pool them per video and per second."""
    if pts.size < 2:
        duration = pts.size / fps
        return MotionReport({name: 0.0 for name in MOTION_SIGNALS} | {"duration": duration}, [], [],
                            _stall_summary([], duration))
    intervals = np.diff(pts)
    typical = float(np.median(intervals[intervals > 0])) if (intervals > 0).any() else 1.0 / fps
    # a drop is a frame missing from the stream's own rhythm; below the smooth rate every
    # interval misses slots of the 20 fps grid, which is the low rate (fps_deficit), not drops
    own_step = _frame_step(intervals, fps)
    lost = intervals > GAP_FACTOR * own_step
    if fps < SMOOTH_FPS:
        # made below the smooth rate: its frames land on that rate's grid, where some
        # intervals skip a slot (15 fps: every third), so what is missing grows with the
        # shortfall instead of all at once where an interval reaches GAP_FACTOR slots
        pts = np.round(pts * SMOOTH_FPS) / SMOOTH_FPS
    dt = np.diff(pts)
    step = min(_frame_step(dt, fps), 1.0 / SMOOTH_FPS)
    dt = np.where(dt > 0, dt, step)  # repeated or reordered timestamps
    p = _Pairs(end=np.cumsum(dt), dt=dt, **series)
    p.dx, p.dy = p.dx / length, p.dy / length
    context = max(1, round(CONTEXT_SECONDS / step))
    neighbourhood = _running_median(p.dissimilarity, 2 * context + 1)
    p.cut = (p.dissimilarity > CUT_DISSIMILARITY) & (p.dissimilarity > neighbourhood + CUT_JUMP)
    p.held = (p.changed <= HELD_SHARE) & (p.diff <= HELD_DIFF) & ~p.cut
    p.moving = ((p.changed >= MOVING_SHARE) | ((p.diff >= MOVING_DIFF) & (p.diff >= MOVING_SNR * p.noise))) & ~p.held & ~p.cut
    p.gap = p.dt > GAP_FACTOR * step
    # where the typical interval is itself a gap (a stream made, or left, below the smooth
    # rate), a gap of that length is the stream's cadence: lagging, which fps_deficit
    # measures, never a stall, however the rate is declared (at 3 fps an interval leaves
    # 0.30 s of the 20 fps grid unfilled, STALL_SECONDS itself, so a steady 3 fps stream
    # read as a row of stalls and scored better than at 5 fps)
    p.cadence = p.gap & ~p.held & (typical > GAP_FACTOR * step) & (np.abs(p.dt - typical) < step)
    p.hold = np.where(p.held | _settling(p), p.dt, np.where(p.gap, p.dt - step, 0.0))
    p.fold = _fold(p, step)
    p.stutter = _beyond_fold(p.held, p.fold)
    runs = _freeze_runs(p, context)
    p.scope = (p.moving | p.frozen) & ~p.cut & ~p.stalled
    p.jerk, p.pace = _jerk(p, step)
    p.shake = _shake(p, step)
    p.flicker, p.swing = _flicker(p, step)

    duration = float(p.end[-1] + step)
    summary = _stall_summary([(a, b) for a, b, _, is_stall in runs if is_stall], duration)
    signals = _pool(p, slice(None), step) | {
        "duration": duration, "stall_count": summary["count"], "stall_seconds": summary["total_seconds"],
        "longest_stall": summary["longest_seconds"], "stall_share": summary["share"]}
    n_seconds = int(np.ceil(duration - 1e-6))
    # Pairs are in time order, so each second is a slice: pair i belongs to the second its later frame appears in.
    bounds = [*np.searchsorted(p.end + 1e-6, np.arange(n_seconds)), dt.size]
    per_second = [_pool(p, slice(a, b), step) for a, b in zip(bounds[:-1], bounds[1:])]

    events = [MotionEvent("stall" if is_stall else "freeze", a, b) for a, b, n_held, is_stall in runs
              if is_stall or n_held >= p.fold + 1]  # one repeat (at the perceived rate) is stutter, counted in repeat_ratio
    events += [MotionEvent("scene_cut", float(e - d), float(e)) for e, d in zip(p.end[p.cut], p.dt[p.cut])]
    events += _merged([(float(e - d + min(own_step, d)), float(e)) for e, d in zip(p.end[lost], p.dt[lost])], "drop", own_step)
    for kind, key, threshold in (("shake", "shake_rms", SHAKE_EVENT), ("drop", "repeat_ratio", REPEAT_EVENT)):
        events += _second_events(kind, [s[key] > threshold for s in per_second], duration)
    events += _second_events("flicker", _flicker_seconds(p, bounds, own_step, step), duration)
    start = float(pts[0])
    events = sorted((MotionEvent(e.kind, e.start + start, e.end + start) for e in events),
                    key=lambda e: (e.start, e.end, e.kind))
    return MotionReport(signals, per_second, events, summary)


def _merged(spans: list[tuple[float, float]], kind: str, step: float) -> list[MotionEvent]:
    """One event for spans that only one shown frame separates: a stretch that lost every
    other frame drops frames over that stretch, not in one event per frame."""
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a - merged[-1][1] <= 1.01 * step:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    return [MotionEvent(kind, a, b) for a, b in merged]


def _freeze_runs(p: _Pairs, context: int) -> list[tuple[float, float, int, bool]]:
    """Set `p.frozen` / `p.stalled`; return each freeze as (start, end, repeated frames, is stall).

    The rule: a run of pairs during which the picture stood still (repeated frames or a
    timestamp gap) is a freeze only if the pairs right before and right after it move
    (see MOVING_SHARE) and so do at least a third of the pairs
    within CONTEXT_SECONDS on each side (a third, so that content lagging with every
    other frame repeated still counts as moving; a third of the perceived rate's
    intervals above it). A still scene has no moving neighbours,
    only the odd keyframe refreshing its compression noise; a scene that comes to rest
    has no motion after it; a run at either end of the video lacks a neighbour. What
    remains is a sudden stop inside motion that then resumes.
    """
    n = p.dt.size
    inside = p.hold > 0
    first, stop = _runs(inside)
    # a timestamp gap across which the picture changed ends its freeze: the next pair holds
    # another picture (a stream at 4 fps is a run of short freezes, as its copy at 30 fps
    # with every picture repeated is, not one freeze as long as the video)
    changed = inside & p.gap & ~p.held
    changed[stop - 1] = False
    if changed.any():
        cuts = np.flatnonzero(changed) + 1
        first, stop = np.sort(np.concatenate([first, cuts])), np.sort(np.concatenate([stop, cuts]))
    moving = p.moving
    n_moving = _cumsum0(moving)
    lo, hi = np.maximum(first - context, 0), np.minimum(stop + context, n)
    share = 3 * p.fold  # a third of the pairs at the perceived rate
    before = (first > 0) & moving[np.maximum(first - 1, 0)] & (share * (n_moving[first] - n_moving[lo]) >= first - lo)
    after = (stop < n) & moving[np.minimum(stop, n - 1)] & (share * (n_moving[hi] - n_moving[stop]) >= hi - stop)
    n_held = _cumsum0(p.held)
    beyond_cadence = _cumsum0(np.where(p.cadence, 0.0, p.hold))
    frozen = before & after
    stall = frozen & (beyond_cadence[stop] - beyond_cadence[first] >= STALL_SECONDS - 1e-9)
    run = np.searchsorted(first, np.arange(n), side="right") - 1  # the run each pair would belong to
    p.frozen = inside & frozen[run] if first.size else inside
    p.stalled = inside & stall[run] if first.size else inside
    # a run's last pair may be a cadence gap (the stream moving on at its own pace): not still time
    return [(float(p.end[a] - p.hold[a]), float(p.end[b - 1] - (p.dt[b - 1] if p.cadence[b - 1] else 0.0)), int(n_held[b] - n_held[a]), bool(s))
            for a, b, s in zip(first[frozen], stop[frozen], stall[frozen])]


def _fold(p: _Pairs, step: float) -> int:
    """How many times a picture may be shown without stuttering (see PERCEIVED_FPS)."""
    rate = 1.0 / step
    fold = max(1, round(rate / PERCEIVED_FPS))
    if fold == 1:
        return 1
    # the cadence: frame intervals per distinct picture in moving content, counting the
    # short holds (a picture shown for at most 1 / SMOOTH_FPS) that sit between moving pairs
    moving = p.moving
    longest = math.ceil(rate / SMOOTH_FPS - 0.05) - 1
    first, stop = _runs(p.held)
    framed = (first > 0) & (stop < p.held.size) & (stop - first <= longest)
    framed[framed] &= moving[first[framed] - 1] & moving[stop[framed]]
    pictures = np.count_nonzero(moving)
    if pictures == 0:
        return fold
    cadence = (pictures + int((stop - first)[framed].sum())) / pictures
    if rate / cadence >= SMOOTH_FPS:
        fold = max(fold, math.ceil(cadence - 0.05))
    return fold


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the runs of True in a 1-D mask, as slice bounds [first, stop)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _beyond_fold(held: np.ndarray, fold: int) -> np.ndarray:
    """Held pairs after the first fold - 1 of each run: a picture shown `fold` times at a
    rate `fold` times the perceived one is a picture shown once, not a repeat."""
    if fold == 1:
        return held
    index = np.arange(held.size)
    run_start = np.maximum.accumulate(np.where(held, 0, index + 1))
    return held & (index - run_start >= fold - 1)


def _settling(p: _Pairs) -> np.ndarray:
    """Pairs that change a little right next to a repeated frame: an encoder refining the
    first repeat of a picture, or a keyframe inside a freeze. They belong to the freeze."""
    quiet = ~p.moving & ~p.held & ~p.cut
    beside = np.zeros_like(p.held)
    beside[1:] |= p.held[:-1]
    beside[:-1] |= p.held[1:]
    return quiet & beside


def _cumsum0(x: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading 0, so sum(x[a:b]) == c[b] - c[a]."""
    return np.concatenate([[0], np.cumsum(x)])


def _jerk(p: _Pairs, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Deviation of each frame difference from its local mean, and that mean; cuts and
    stalls are bridged by interpolation so that their edges do not read as jerks. A
    picture's free repeats (`fold`) are left out (0 in both), so a picture shown twice at
    60 fps moves as steadily as at 30.

    Differences are laid on the frame step's grid: a timestamp gap shows its picture for
    the steps it skips, so it is that many still steps and then the jump, summed back into
    its pair. Dropped frames, a stream made at a low rate and its copy with every picture
    repeated then jerk alike, as they look alike on a screen."""
    keep = ~p.cut & ~p.stalled
    index = np.arange(p.diff.size)
    diff = np.interp(index, index[keep], p.diff[keep]) if keep.any() else p.diff
    shown = ~(p.held & ~p.stutter)
    # still steps beyond two windows from either jump change no mean: a timestamp leap of
    # hours costs no more than one of a second
    steps = np.where(p.gap, np.clip(np.rint(p.dt / step), 1.0, 2 * JERK_WINDOW), 1.0).astype(np.intp)[shown]
    grid = np.zeros(int(steps.sum()))
    grid[np.cumsum(steps) - 1] = diff[shown]
    pace_grid = _running_mean(grid, JERK_WINDOW)
    owner = np.repeat(np.arange(steps.size), steps)
    jerk, pace = np.zeros_like(diff), np.zeros_like(diff)
    pace[shown] = np.bincount(owner, pace_grid, steps.size)
    jerk[shown] = np.bincount(owner, np.abs(grid - pace_grid), steps.size)
    return jerk, pace


def _shake(p: _Pairs, step: float) -> np.ndarray:
    """Squared high-frequency camera displacement per pair, NaN where not judged.

    The trajectory is sampled at distinct frames only and smoothed against their
    timestamps, so repeated frames and dropped ones (content that jumps ahead after a
    hold) follow the line of the motion; it restarts at every scene cut. A stall that
    resumes where it stopped still bends that line, so stalls and half a window around
    them are not judged.
    """
    out = np.full(p.dt.size, np.nan)
    sampled = ~p.held & ~p.cut
    segment = np.cumsum(p.cut)
    size = max(3, round(SHAKE_WINDOW_SECONDS / step)) | 1
    picked = np.flatnonzero(sampled)
    for idx in np.split(picked, np.flatnonzero(np.diff(segment[picked])) + 1):
        if idx.size < 3:
            continue
        t = p.end[idx]
        grid = np.arange(t[0], t[-1] + step / 2, step)
        window = min(size, grid.size - 1 + grid.size % 2)
        if window < 3:
            continue
        trajectory = np.stack([np.cumsum(p.dx[idx]), np.cumsum(p.dy[idx])], axis=1)
        gridded = np.stack([np.interp(grid, t, c) for c in trajectory.T], axis=1)
        # A local quadratic rather than a moving average, so an accelerating pan stays intended.
        smooth = local_quadratic(gridded, window)
        residual = trajectory - np.stack([np.interp(t, grid, c) for c in smooth.T], axis=1)
        out[idx] = (residual ** 2).sum(axis=1)
    near_stall = _running_mean(p.stalled.astype(float), 2 * size + 1) > 0
    out[near_stall] = np.nan
    return out


def local_quadratic(y: np.ndarray, window: int) -> np.ndarray:
    """Savitzky-Golay smoothing of the columns of y (order 2, odd `window` <= len(y)), with
    the ends taken from a quadratic fitted to the first and last windows.

    What scipy.signal.savgol_filter(y, window, 2, axis=0, mode="interp") computes, written
    here because importing scipy.signal costs half a second of every assessment.
    """
    half = window // 2
    fit = np.linalg.pinv(np.vander(np.arange(-half, half + 1, dtype=float), 3))  # (3, window): samples -> coefficients
    out = np.empty_like(y, dtype=float)
    out[half : len(y) - half] = sliding_window_view(y, window, axis=0) @ fit[2]
    out[:half] = np.vander(np.arange(-half, 0, dtype=float), 3) @ (fit @ y[:window])
    out[len(y) - half :] = np.vander(np.arange(1, half + 1, dtype=float), 3) @ (fit @ y[len(y) - window :])
    return out


def _flicker(p: _Pairs, step: float) -> tuple[np.ndarray, np.ndarray]:
    """High-passed global log brightness, and brightness steps that reverse the previous one.

    A running median, unlike a mean, follows fades and exposure steps exactly, so only
    oscillation is left.
    """
    high = _brightness_high_pass(p, step)
    gain = np.where(p.cut, 0.0, p.gain)
    big = np.abs(gain) > FLICKER_STEP
    swing = np.zeros(gain.size, bool)
    swing[1:] = big[1:] & big[:-1] & (np.sign(gain[1:]) != np.sign(gain[:-1]))
    return high, swing


def _brightness_high_pass(p: _Pairs, pair_step: float) -> np.ndarray:
    """Global log brightness less its running median over FLICKER_WINDOW_SECONDS of pairs
    `pair_step` apart."""
    level = np.cumsum(np.where(p.cut, 0.0, p.gain))
    return level - _running_median(level, max(3, round(FLICKER_WINDOW_SECONDS / pair_step)) | 1)


def _flicker_seconds(p: _Pairs, bounds: list[int], own_step: float, step: float) -> list[bool]:
    """Which seconds flicker, for the events. Below the smooth rate the pairs lie further
    apart than the grid's step, and the signal's window of 1 s of grid steps spans 7 s of a
    3 fps stream's pairs: lighting drift stays in its high pass (a real clip at 3 and 12 fps
    flickered at seconds that its 25 fps original did not). Events judge 1 s of the stream's
    own pairs; the signal, a feature the heads were trained on, keeps its window."""
    high = p.flicker if own_step <= step else _brightness_high_pass(p, own_step)
    bright = p.bright
    return [_rms(high[a:b][bright[a:b]]) > FLICKER_EVENT for a, b in zip(bounds[:-1], bounds[1:])]


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values**2))) if values.size else 0.0


def _frame_step(dt: np.ndarray, fps: float) -> float:
    """The interval between frames the stream means to show. The median interval is not it
    once half the frames are lost (60% dropped: the median gap is two frames, and the drops
    would read as a lower rate), so the declared rate wins wherever a fair share of the
    intervals agrees with it; the median of those agreeing intervals absorbs 29.97 vs 30."""
    positive = dt[dt > 0]
    if not positive.size:
        return 1.0 / fps
    near = positive[np.abs(positive * fps - 1.0) <= NOMINAL_TOLERANCE]
    if near.size >= NOMINAL_SHARE * positive.size:
        return float(np.median(near))
    return float(np.median(positive))


def _pool(p: _Pairs, part: slice, step: float) -> dict[str, float]:
    """The signals that make sense per second, over a contiguous range of pairs (all, or one second's)."""
    def ratio(num: float, den: float) -> float:
        return float(num / den) if den > 0 else 0.0

    dt, cut, held, scope = p.dt[part], p.cut[part], p.held[part], p.scope[part]
    free = held & ~p.stutter[part]  # a picture's repeats within the cadence (none below ~45 fps)
    steady = ~cut & ~p.frozen[part]
    bright = p.bright[part]
    shake = p.shake[part][~np.isnan(p.shake[part])]
    noise = p.noise[part][steady]  # repeats in a still scene carry its noise; frozen ones carry none
    missing = float(np.where(p.gap[part], np.round(dt / step) - 1.0, 0.0).sum())
    slots = round(float(dt[scope].sum()) / step, 6)  # frame intervals the nominal rate would have shown
    return {
        "motion_mean": ratio(p.diff[part][steady].sum(), np.count_nonzero(steady)),
        "global_speed": ratio(np.hypot(p.dx[part], p.dy[part])[~cut].sum(), dt[~cut].sum()),
        "scene_cuts": float(np.count_nonzero(cut)),
        "freeze_ratio": ratio(p.hold[part][p.frozen[part] & ~free].sum(), dt.sum()),
        "stall_seconds": float(p.hold[part][p.stalled[part] & ~p.cadence[part]].sum()),
        "repeat_ratio": ratio(np.count_nonzero(scope & p.stutter[part]), np.count_nonzero(scope)),
        "drop_ratio": ratio(missing, dt.size + missing),
        "fps_deficit": max(0.0, ratio(slots - p.fold * np.count_nonzero(scope & ~held), slots)),
        "jerkiness": ratio(p.jerk[part][scope].sum(), p.pace[part][scope].sum()),
        "shake_rms": float(np.sqrt(shake.mean())) if shake.size else 0.0,
        "flicker_rms": _rms(p.flicker[part][bright]),
        "flicker_alternation": float(p.swing[part][bright].mean()) if bright.any() else 0.0,
        "temporal_noise": float(np.median(noise)) if noise.size else 0.0,
    }


def _stall_summary(stalls: list[tuple[float, float]], duration: float) -> dict[str, float]:
    """VQA²-style stall summary."""
    lengths = [b - a for a, b in stalls]
    total = float(sum(lengths))
    return {"count": float(len(lengths)), "total_seconds": total, "longest_seconds": float(max(lengths, default=0.0)),
            "share": total / duration if duration > 0 else 0.0}


def _second_events(kind: str, flags: list[bool], duration: float) -> list[MotionEvent]:
    """One event per run of consecutive flagged seconds."""
    events, begin = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and begin is None:
            begin = i
        elif not flag and begin is not None:
            events.append(MotionEvent(kind, float(begin), float(min(i, duration))))
            begin = None
    return events


# Running filters over 1-D series, edges extended with the end values (scipy.ndimage's
# "nearest"; an even window reaches one further back than forward, as there). Written
# here because importing scipy.ndimage for two one-line filters cost ~0.3 s of every run.
def _edge_windows(x: np.ndarray, size: int) -> np.ndarray:
    padded = np.pad(np.asarray(x, dtype=np.float64), (size // 2, size - 1 - size // 2), mode="edge")
    return sliding_window_view(padded, size)


def _running_median(x: np.ndarray, size: int) -> np.ndarray:
    return np.median(_edge_windows(x, size), axis=1) if len(x) else np.asarray(x, dtype=np.float64)


def _running_mean(x: np.ndarray, size: int) -> np.ndarray:
    return _edge_windows(x, size).mean(axis=1) if len(x) else np.asarray(x, dtype=np.float64)
