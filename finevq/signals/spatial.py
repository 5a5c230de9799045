"""Single-frame signals: one RGB frame in, a flat dict of named numbers out.

Two views of the frame are measured. Blur and colour describe the picture as a viewer
sees it, so they read the whole frame, scaled down to at most 360 lines on its short side,
the size of every clip the heads were calibrated and trained on: a 4K, 1080p or 720p copy
of one picture reads like its 360p copy. (Read at up to 1080 lines, a sharp 720p clip's
edges measured narrower than any training clip's, and the learned heads took that for
coding edges: artifact 71 against 89 for its 640-px copy; a 1080p copy's artifact rose as
it was blurred.)
Resolution lost above 360 lines therefore goes unseen. Noise and artifacts live on
the pixel grid (grain, impulses, coding blocks, code plateaus) and vanish when it is
resampled, so they read native pixels, from a central crop of at most 1920x1088 whose
offset keeps the 16-px coding grid in phase: their statistics are local, so a crop is as
good as the frame and keeps the cost flat.

`SPATIAL_SIGNALS` documents every key: which dimension it serves, which distortion types
it is the main evidence for, and which direction is worse, so heads can be written and
checked against this table alone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import cv2
import numpy as np

from . import artifact, blur, color, noise

#: Blur and colour read the picture at no more than this many lines on its short side
#: (the benchmark's clips have at most 360; see the module docstring). Changing it changes
#: the features of larger videos: heads.features.FEATURES_VERSION goes with it.
PICTURE_LINES = 360
#: Noise and artifacts read a native crop of at most this size (long x short side).
_NATIVE_CROP = (1920, 1088)
_GRID_ALIGN = 16
_MIN_SIDE = 16


@dataclass(frozen=True)
class SignalSpec:
    name: str
    #: "color", "noise", "artifact" or "blur".
    dimension: str
    #: Taxonomy distortion types this signal is the primary evidence for; empty for context.
    detects: tuple[str, ...]
    #: "higher" or "lower": the direction that means more distortion; "away" for
    #: two-sided signals, where both ends are faults and the good range lies between.
    worse_when: str
    doc: str


def _spec(name: str, dimension: str, detects: tuple[str, ...], worse_when: str, doc: str) -> tuple[str, SignalSpec]:
    return name, SignalSpec(name, dimension, detects, worse_when, doc)


SPATIAL_SIGNALS: dict[str, SignalSpec] = dict(
    (
        _spec(
            "blur_reblur", "blur", ("gaussian blur", "shooting system blur", "compression blur"), "higher",
            "Crete's re-blur measure, 0-1: share of neighbour differences that a further 9-px box blur "
            "leaves intact (worse direction of the two). ~0.2-0.35 sharp, 0.6-0.8 heavily blurred. "
            "Native pixels; noise pulls it down.",
        ),
        _spec(
            "blur_fine_coarse", "blur", ("resolution blur",), "lower",
            "log2 of gradient energy on native pixels over that at quarter scale (scaled to equal "
            "units). Natural images are nearly scale invariant, so ~2.5-5 when sharp whatever "
            "the content, falling to ~0 when the two finest octaves are gone (upscaled, blurred, "
            "over-compressed). Grain pushes it up.",
        ),
        _spec(
            "blur_edge_width", "blur", ("gaussian blur", "shooting system blur"), "higher",
            "10-90% width of strong edges, in thousandths of the picture's short side, from the "
            "ratio of gradients at two smoothing scales (contrast free); mean over four edge "
            "orientations, with a pixel's own footprint (0.5 px) as the floor. Read at <= 360 "
            "lines: ~4-20 for clean footage (median 10), 20-60 heavily blurred.",
        ),
        _spec(
            "blur_anisotropy", "blur", ("motion blur",), "higher",
            "(max - min) / (max + min) of edge scale across four orientations, 0-1: motion blur "
            "widens only edges across its path. <0.1 for sharp or isotropically blurred frames, "
            "0.15-0.4 for visible motion blur. Tells the kind of blur, not its amount.",
        ),
        _spec(
            "blur_upscale_residue", "blur", ("resolution blur",), "higher",
            "Share of a row/column profile of 2nd/3rd differences held by its single strongest "
            "frequency, 0-1: interpolating up leaves fine detail that repeats with the scale "
            "factor's period. <0.1 on native footage, 0.3-0.9 on upscaled footage (any factor "
            "from 1.25 to 4). Tells the kind of blur, not its amount.",
        ),
        _spec(
            "noise_sigma", "noise", ("gaussian noise",), "higher",
            "Grain standard deviation in luma grey levels (Immerkaer's estimator averaged over "
            "the flattest tenth of 16x16 blocks, near-black/white blocks and impulses excluded). "
            "~0.3-1 clean, 2-5 visible, 10+ heavy. Native pixels.",
        ),
        _spec(
            "noise_pulse", "noise", ("pulse noise",), "higher",
            "Share of pixels that stand out from all 8 neighbours by 64+ grey levels (salt and "
            "pepper, dead or hot pixels). ~0 on clean footage, 0.001 visible, 0.05 severe; "
            "saturates near 0.07 when impulses crowd each other.",
        ),
        _spec(
            "noise_stripe", "noise", ("stripe noise",), "higher",
            "Robust typical offset, in grey levels, of whole rows (or columns, the worse) against "
            "their neighbours, counted only where all of 8 strips across the frame agree. "
            "~0.1-0.3 clean, 1+ visible.",
        ),
        _spec(
            "artifact_blockiness", "artifact", ("square artifact",), "higher",
            "Lead of the strongest phase of a 16-phase profile of neighbour steps over the third "
            "strongest, relative to the median phase, averaged over rows and columns: coding "
            "grids (8 or 16 px, found by phase) show as one or two hot phases. ~0-0.05 camera "
            "footage, 0.1 visible, 0.5+ strong blocking.",
        ),
        _spec(
            "artifact_compression", "artifact", ("compression artifact",), "higher",
            "Share of 8x8 block borders (on the detected grid) whose step exceeds twice the "
            "steps inside the block plus a grey level: texture turned into patches, gradients "
            "into tiles. ~0.01-0.06 clean, 0.2+ heavily compressed.",
        ),
        _spec(
            "artifact_ringing", "artifact", ("ring artifact",), "higher",
            "Median overshoot beside strong step edges as a share of their contrast (edge "
            "profiles averaged along the edge, so grain cancels). Halos from over-sharpening and "
            "ringing raise it: ~0.3-0.7 clean, 1+ strong halos; 0 when edges are soft.",
        ),
        _spec(
            "artifact_banding", "artifact", ("banding",), "higher",
            "Share of blocks spanning 6-64 grey levels that hold 75%+ of their pixels in two "
            "codes: flat patches meeting at jumps, a gradient with too few levels or flattened "
            "by a coder (noise breaking bands into blotches still counts). ~0-0.06 clean, "
            "0.1+ visible banding.",
        ),
        _spec(
            "artifact_code_gaps", "artifact", ("banding",), "higher",
            "Share of unused codes inside each colour channel's occupied range (0.5-99.5%): "
            "posterisation and strong tone stretches leave regular holes. 0 for camera or decoder "
            "output, 0.75 for 6-bit, 0.9+ for 4-bit.",
        ),
        _spec(
            "artifact_moire", "artifact", ("moire pattern",), "higher",
            "Share of whitened fine-detail energy (off the axes, the 8-px grid harmonics and "
            "rectangular lattices) in the strongest 3x3 frequency peak, worse of two central "
            "256-px tiles: moire, aliasing and screen patterns concentrate energy, natural detail "
            "spreads it. ~0.003-0.015 clean, 0.02+ visible pattern; regular man-made structure "
            "can read ~0.05.",
        ),
        _spec(
            "color_colorfulness", "color", ("low saturation", "high saturation"), "away",
            "Hasler-Suesstrunk colourfulness of the opponent channels (0 grey, ~15 slightly, "
            "~60 very, 100+ garish).",
        ),
        _spec(
            "color_saturation", "color", ("low saturation", "high saturation"), "away",
            "Mean HSV saturation, 0-1, of pixels that are not near black.",
        ),
        _spec(
            "color_saturated_share", "color", ("high saturation",), "higher",
            "Share of pixels (not near black) at the gamut edge, HSV saturation >= 0.9.",
        ),
        _spec(
            "color_luma_mean", "color", ("over dark", "over bright"), "away",
            "Mean luma, 0-255.",
        ),
        _spec(
            "color_luma_p5", "color", ("over bright",), "higher",
            "5th percentile of luma, 0-255: a frame with no dark tones at all is washed out.",
        ),
        _spec(
            "color_luma_p50", "color", ("over dark", "over bright"), "away",
            "Median luma, 0-255.",
        ),
        _spec(
            "color_luma_p95", "color", ("over dark",), "lower",
            "95th percentile of luma, 0-255: a frame with no bright tones at all is underexposed.",
        ),
        _spec(
            "color_clip_dark", "color", ("over dark",), "higher",
            "Share of pixels with luma below video black (16): crushed shadows.",
        ),
        _spec(
            "color_clip_bright", "color", ("over bright",), "higher",
            "Share of pixels with luma above video white (235): blown highlights.",
        ),
        _spec(
            "color_contrast_rms", "color", ("low contrast ratio", "high contrast ratio"), "away",
            "RMS contrast: standard deviation of luma / 255.",
        ),
        _spec(
            "color_contrast_span", "color", ("low contrast ratio",), "lower",
            "Luma range between the 5th and 95th percentiles / 255.",
        ),
        _spec(
            "color_cast", "color", ("color cast",), "higher",
            "Angle (degrees) between grey and the light's colour estimated from the mean edge "
            "(grey-edge): ~1-5 on clean footage, 5+ a visible cast, 10+ strong. Colourful "
            "content adds little edge colour, so it reads balanced.",
        ),
    )
)


def spatial_signals(rgb: np.ndarray, wanted: Collection[str] | None = None, picture_lines: int = PICTURE_LINES, picture: np.ndarray | None = None) -> dict[str, float]:
    """The spatial signals of one RGB uint8 frame (H x W x 3, native resolution): all of
    them, or those named in `wanted` (other names are ignored), reading only what they need.
    Blur and colour read the picture at `picture_lines` at most; the heads expect the default.
    `picture` is `at_most_lines(rgb, picture_lines)` when the caller has it already."""
    rgb = _checked(rgb)
    picture = at_most_lines(rgb, picture_lines) if picture is None else picture
    picture_gray = _luma(picture)
    return _ordered(_picture_signals(picture, picture_gray, wanted) | _native_signals(_native_crop(rgb), picture, picture_gray, wanted))


def signals_and_glance(rgb: np.ndarray, glance_wanted: Collection[str] | None = None, picture: np.ndarray | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """`spatial_signals(rgb)` and `spatial_signals(at_most_lines(rgb), glance_wanted)` (a
    timeline frame's read of the picture alone), sharing what the two have in common: the
    scaled picture (`picture`, when the caller has it already) and its blur and colour
    signals, which both calls read from the same pixels. The numbers are those of the two
    calls, bit for bit."""
    rgb = _checked(rgb)
    picture = at_most_lines(rgb) if picture is None else picture
    picture_gray = _luma(picture)
    seen = _picture_signals(picture, picture_gray, None)
    whole = seen | _native_signals(_native_crop(rgb), picture, picture_gray, None)
    glance = {k: v for k, v in seen.items() if glance_wanted is None or k in glance_wanted}
    glance |= _native_signals(_native_crop(picture), picture, picture_gray, glance_wanted)
    return _ordered(whole), _ordered(glance)


def _checked(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an H x W x 3 uint8 RGB frame, got {rgb.dtype} {rgb.shape}")
    if min(rgb.shape[:2]) < _MIN_SIDE:
        raise ValueError(f"frame {rgb.shape[1]}x{rgb.shape[0]} is too small; both sides need {_MIN_SIDE}+ pixels")
    return np.ascontiguousarray(rgb)


def _picture_signals(picture: np.ndarray, gray: np.ndarray, wanted: Collection[str] | None) -> dict[str, float]:
    return blur.measure(picture, gray, wanted) | color.measure(picture, gray, wanted)


def _native_signals(native: np.ndarray, picture: np.ndarray, picture_gray: np.ndarray, wanted: Collection[str] | None) -> dict[str, float]:
    """Noise and artifacts on native pixels; `native` is often the picture itself (a frame
    already at most PICTURE_LINES), whose luma is then reused."""
    gray = picture_gray if native is picture else _luma(native)
    return noise.measure(native, gray, wanted) | artifact.measure(native, gray, wanted)


def _ordered(values: dict[str, float]) -> dict[str, float]:
    return {name: values[name] for name in SPATIAL_SIGNALS if name in values}


def _luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma, 0-255, as float32; rounded to whole codes, like any 8-bit luma plane, so
    that code plateaus (banding) and impulses read exactly."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _native_crop(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    long_max, short_max = _NATIVE_CROP
    max_h, max_w = (long_max, short_max) if h > w else (short_max, long_max)
    if h <= max_h and w <= max_w:
        return rgb
    ch, cw = min(h, max_h), min(w, max_w)
    y = ((h - ch) // 2 // _GRID_ALIGN) * _GRID_ALIGN
    x = ((w - cw) // 2 // _GRID_ALIGN) * _GRID_ALIGN
    return np.ascontiguousarray(rgb[y : y + ch, x : x + cw])


def at_most_lines(rgb: np.ndarray, lines: int = PICTURE_LINES) -> np.ndarray:
    """The picture scaled (area-averaged) so its short side is at most `lines`."""
    h, w = rgb.shape[:2]
    if min(h, w) <= lines:
        return rgb
    scale = lines / min(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
