"""The one registry of synthetic distortions: five severity levels each, seeded, streaming.

The test-suite and the calibration of the assessor both draw from `DISTORTIONS`, so a type's
detector is tested and calibrated against the same pictures. Every entry names the FineVD
type (`finevq.taxonomy`) it stands for; the level parameters follow KADID-10k's five levels
wherever KADID-10k has the type (see `levels` and `param` of each entry, and the notes
below), so level k means roughly what KADID-10k's raters saw at level k. Parameters in
pixels are KADID-10k's pixels too (512x384 images): they act at the working resolution, so
a 1080p clip looks milder than a 480x270 one at the same level.

KADID-10k correspondences (KADID level values -> ours):
  gaussian_blur    gaussian blur σ 0.1, 0.5, 1, 2, 5 -> same. Level 1 (σ 0.1) is, as in
                   KADID-10k, practically the identity.
  defocus_blur     lens blur disc radius 1, 2, 4, 6, 8 -> same (anti-aliased disc).
  motion_blur      motion blur radius 1, 2, 4, 6, 10 -> line kernels of length 2r + 1.
  jpeg_blocking    JPEG quality 43, 36, 24, 7, 4 -> same.
  gaussian_noise   white noise variance 0.001, 0.002, 0.003, 0.005, 0.01 -> same.
  pulse_noise      impulse noise density 0.001, 0.005, 0.01, 0.02, 0.03 -> same.
  over_bright      brighten 0.1, 0.2, 0.4, 0.7, 1.1 -> same curve (KADID-10k also blends
                   in a lightness-only copy; the RGB curve alone is used here), or per
                   seed the same mid-grey shift as an offset on every code.
  over_dark        darken 0.05, 0.1, 0.2, 0.4, 0.8 -> same, curve or offset.
  high_contrast    contrast change +0.15, +0.3 (S-curves of mid-tone slope about 1.15,
                   1.3) -> tone slopes 1.15, 1.3 at levels 1-2, extended to 2.1.
  low_contrast     contrast change -0.4, -0.6 (mid-tone slope about 0.6, 0.4) -> slopes
                   0.6, 0.4 at levels 2-3; the ends are not pinned, so blacks lift as in haze.
  low_saturation   color saturation 1 (HSV S x 0.4, 0.2, 0.1, 0, -0.4) -> chroma gain
                   0.6, 0.4, 0.2, 0.1, 0: KADID-10k's level 1 is already washed out and its
                   -0.4 inverts hue, which is not low saturation; desaturating towards luma
                   (not HSV value) keeps brightness, so over_bright does not fire too.
  high_saturation  color saturation 2 (Lab chroma x 1, 2, 3, 6, 9) -> chroma gain about
                   luma 1.5, 2, 3, 6, 9; gain 1 would be no distortion.
  banding          quantization 20, 16, 13, 10, 7 thresholds -> same counts, uniform steps.
  moire            pixelate 0.01 .. 0.5 (nearest-neighbour scale 0.887, 0.784, 0.699,
                   0.569, 0.29) -> scales 0.85, 0.7, 0.55, 0.4, 0.28, upscaled bilinearly so
                   aliasing shows as moire, not blocks. Respaced because KADID-10k's levels
                   2 and 3 change the picture equally once upscaled smoothly (measured).
  ringing          JPEG2000 is KADID-10k's ringing source, but OpenCV's encoder takes 0.1 s
                   for a 480x270 frame; an ideal (truncated-sinc) low-pass gives the same
                   Gibbs ripples, with blur, in a few ms.
Moire and ringing also lose resolution (moire scales down by up to 3.6x, ringing keeps as
little as 18% of the spectrum), which people see as blur: their `downscale` says how much,
and their labels charge blur as resolution blur at that factor (`synth.labels`).
The other types have no KADID-10k counterpart; their levels are set to span slight to
severe on the synthetic content.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..taxonomy import distortion as taxonomy_type

_LUMA = np.float32([0.299, 0.587, 0.114])


@dataclass(frozen=True)
class Distortion:
    name: str  # registry key
    taxonomy: str  # the FineVD type it stands for
    dimension: str  # that type's dimension
    kind: str  # "frame": per-frame pixel op; "sequence": changes frames or timing; "encode": encoder settings
    levels: tuple  # the parameter at severity 1 (slight) .. 5 (severe)
    param: str  # what a level value means
    apply: Callable[..., Distorted] = field(repr=False, compare=False)
    #: For an artifact that also throws resolution away: per level, the downscale factor
    #: whose loss it amounts to. Its labels then charge blur too (`synth.labels`).
    downscale: tuple[float, ...] | None = None


@dataclass
class Distorted:
    """A distorted clip, still streaming.

    pts are presentation times in seconds, one per frame, or None for the regular 1/fps grid.
    A sequence op learns them as it goes, so the list fills while `frames` is consumed:
    read pts[i] after drawing frame i (as `write_video` does).
    """

    frames: Iterator[np.ndarray]
    pts: list[float] | None = None
    encode: dict = field(default_factory=dict)


def distort(frames: Iterable[np.ndarray], fps: float, name: str, level: int, seed: int = 0) -> Distorted:
    """Distort RGB uint8 frames with registry entry `name` at level 1..5 (0: unchanged).

    The random draws depend on (seed, name) but not on level, so the levels of one seed are
    the same noise field, drop pattern or shake path at growing strength.
    """
    try:
        entry = DISTORTIONS[name]
    except KeyError:
        raise KeyError(f"unknown distortion {name!r}; known: {', '.join(DISTORTIONS)}") from None
    if level not in range(6):
        raise ValueError(f"level must be 0..5, not {level!r}")
    if level == 0:
        return Distorted(iter(frames))
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return entry.apply(iter(frames), entry.levels[level - 1], rng, fps)


FrameOp = Callable[[np.ndarray], np.ndarray]


def _per_frame(make: Callable[[object, np.random.Generator], FrameOp]):
    def apply(frames, p, rng, fps):
        return Distorted(map(make(p, rng), frames))

    return apply


# --- colour -----------------------------------------------------------------------------


def _chroma(gain: float, rng) -> FrameOp:
    """Scale each pixel's distance from its luma: washes out below 1, oversaturates above."""
    m = gain * np.eye(3, dtype=np.float32) + (1.0 - gain) * _LUMA[None, :]
    return lambda f: cv2.transform(f, m)


def _lut(curve: Callable[[np.ndarray], np.ndarray]) -> FrameOp:
    table = np.clip(np.rint(255.0 * curve(np.arange(256) / 255.0)), 0, 255).astype(np.uint8)
    return lambda f: cv2.LUT(f, table)


def _midtone(m: float) -> FrameOp:
    """KADID-10k's brighten/darken curve: the parabola through (0, 0), (0.5, m), (1, 1)."""
    return _lut(lambda x: (2.0 - 4.0 * m) * x * x + (4.0 * m - 1.0) * x)


def _exposure(mid: float, rng) -> FrameOp:
    """Mid-grey moved to `mid` by KADID-10k's curve or, drawn per seed, by the same shift
    added to every code (an editor's brightness slider, a camera's exposure bias), which
    clips the far end instead of bending towards it. With the curve alone FFmpeg's
    brightness +0.35 read better colour than +0.2 (63 against 56)."""
    if rng.integers(2):
        return _lut(lambda x: x + (mid - 0.5))
    return _midtone(mid)


def _over_bright(amount: float, rng) -> FrameOp:
    return _exposure(0.5 + amount / 2.0, rng)


def _over_dark(amount: float, rng) -> FrameOp:
    return _exposure(0.5 - amount / 2.0, rng)


def _contrast(slope: float, rng) -> FrameOp:
    """A straight tone line through mid-grey: flat and lifted below 1, clipping above."""
    return _lut(lambda x: 0.5 + slope * (x - 0.5))


def _color_cast(strength: float, rng) -> FrameOp:
    """A white-balance error, its direction (warm, cool, green, magenta) drawn per seed.

    Channel gains are normalised so luma is unchanged: the cast is a colour error only.
    """
    direction = np.float32([[1, 0, -1], [-1, 0, 1], [-0.5, 1, -0.5], [0.5, -1, 0.5]][rng.integers(4)])
    gains = 1.0 + strength * direction
    return lambda f: cv2.transform(f, np.diag(gains / float(_LUMA @ gains)))


# --- noise ------------------------------------------------------------------------------


def _fixed_field(draw: Callable[[tuple[int, ...]], np.ndarray]) -> FrameOp:
    """Add one int16 field, drawn at the first frame's shape, to every frame.

    Spatial noise types stay put from frame to frame, so they read as noise in each picture
    without the frame-to-frame fluctuation that defines temporal noise: the two types stay
    separable for calibration. It also costs one saturating add a frame.
    """
    fields: dict[tuple[int, ...], np.ndarray] = {}

    def op(f):
        if f.shape not in fields:
            fields[f.shape] = draw(f.shape)
        return cv2.add(f, fields[f.shape], dtype=cv2.CV_8U)

    return op


def _gaussian_noise(variance: float, rng) -> FrameOp:
    sigma = 255.0 * math.sqrt(variance)
    return _fixed_field(lambda shape: np.rint(sigma * rng.standard_normal(shape, np.float32)).astype(np.int16))


def _pulse_noise(density: float, rng) -> FrameOp:
    """Salt and pepper: +-512 saturates a pixel to white or black in all channels."""

    def draw(shape):
        u = rng.random(shape[:2])
        kick = np.where(u < density / 2, -512, np.where(u > 1.0 - density / 2, 512, 0)).astype(np.int16)
        return np.repeat(kick[..., None], shape[2], axis=2)

    return _fixed_field(draw)


def _stripe_noise(sigma: float, rng) -> FrameOp:
    """Fixed-pattern sensor noise: one grey offset per column (or per row, by seed)."""

    def draw(shape):
        h, w = shape[:2]
        if rng.random() < 0.7:
            offsets = sigma * rng.standard_normal((1, w, 1))
        else:
            offsets = sigma * rng.standard_normal((h, 1, 1))
        return np.broadcast_to(np.rint(offsets), shape).astype(np.int16, order="C")

    return _fixed_field(draw)


def _film_grain(sigma: float, rng) -> FrameOp:
    """Monochrome grain about two pixels across, drawn fresh for every frame.

    Uniform bytes at half resolution, upsampled bilinearly: ~10x cheaper than Gaussian
    draws at full size, and the interpolation makes them near-Gaussian. The std of uniform
    0..255 is 73.9; 2x bilinear upsampling keeps 0.625 of it.
    """
    gain = sigma / (73.9 * 0.625)

    def op(f):
        h, w = f.shape[:2]
        cells = rng.integers(0, 256, ((h + 1) // 2, (w + 1) // 2), dtype=np.uint8)
        grain = cv2.resize(cells, (w, h), interpolation=cv2.INTER_LINEAR)
        return cv2.addWeighted(f, 1.0, cv2.merge([grain] * f.shape[2]), gain, -127.5 * gain)

    return op


# --- artifacts --------------------------------------------------------------------------


def _jpeg(quality: int, rng) -> FrameOp:
    """Per-frame JPEG at 4:2:0; OpenCV's codec expects BGR, so the colour order is swapped
    around it (otherwise luma would be computed with red and blue weights exchanged)."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]

    def op(f):
        data = cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), params)[1]
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    return op


def _ringing(cutoff: float, rng) -> FrameOp:
    """Ideal low-pass (sinc truncated after four lobes, no window): Gibbs ripples along edges."""
    n = math.ceil(4.0 / cutoff)
    taps = cutoff * np.sinc(cutoff * np.arange(-n, n + 1, dtype=np.float32))
    taps = (taps / taps.sum()).astype(np.float32)
    return lambda f: cv2.sepFilter2D(f, -1, taps, taps, borderType=cv2.BORDER_REFLECT)


def _banding(thresholds: int, rng) -> FrameOp:
    """Uniform quantisation to thresholds + 1 tones per channel: contours in smooth skies."""
    steps = thresholds + 1
    return _lut(lambda x: (np.minimum(np.floor(x * steps), steps - 1) + 0.5) / steps)


def _moire(scale: float, rng) -> FrameOp:
    """Nearest-neighbour subsampling aliases fine periodic texture into coarse beats."""

    def op(f):
        h, w = f.shape[:2]
        small = cv2.resize(f, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_NEAREST)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    return op


# --- blur -------------------------------------------------------------------------------


def _coverage(inside: Callable[[np.ndarray, np.ndarray], np.ndarray], half: int) -> np.ndarray:
    """A kernel of each pixel's covered fraction of a centred shape, from 16x16 sub-samples.

    This is how MATLAB's fspecial('disk') (KADID-10k's lens blur) weighs edge pixels. Empty
    border rows and columns are trimmed (symmetrically, as the shapes are point-symmetric),
    since cv2.filter2D's cost grows with the kernel's area.
    """
    ss, size = 16, 2 * half + 1
    t = (np.arange(size * ss, dtype=np.float32) + 0.5) / ss - (half + 0.5)
    k = inside(t[None, :], t[:, None]).astype(np.float32).reshape(size, ss, size, ss).mean(axis=(1, 3))
    k = k[k.any(axis=1)][:, k.any(axis=0)]
    return k / k.sum()


def _disc(radius: float) -> np.ndarray:
    return _coverage(lambda x, y: x * x + y * y <= radius * radius, math.ceil(radius - 0.5))


def _line(length: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return _coverage(lambda x, y: (np.abs(x * c + y * s) <= length / 2) & (np.abs(y * c - x * s) <= 0.5), math.ceil(length / 2))


def _kernel_op(kernel_at: Callable[[float], np.ndarray]) -> FrameOp:
    """Convolve with kernel_at(1); one of more than 11x11 taps is applied at half resolution.

    Above that cv2.filter2D switches to a DFT, ~4x slower at 1080p; a blur that wide hides
    the half-resolution round trip (which adds ~1 px of blur across a motion streak).
    """
    full = kernel_at(1.0)
    if full.size <= 121:
        return lambda f: cv2.filter2D(f, -1, full, borderType=cv2.BORDER_REFLECT)
    half = kernel_at(0.5)

    def op(f):
        h, w = f.shape[:2]
        small = cv2.resize(f, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA)
        small = cv2.filter2D(small, -1, half, borderType=cv2.BORDER_REFLECT)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    return op


def _gaussian_blur(sigma: float, rng) -> FrameOp:
    return lambda f: cv2.GaussianBlur(f, (0, 0), sigma)


def _defocus_blur(radius: float, rng) -> FrameOp:
    return _kernel_op(lambda s: _disc(radius * s))


def _motion_blur(radius: float, rng) -> FrameOp:
    """A straight streak in a direction drawn per seed."""
    angle = rng.uniform(0.0, math.pi)
    return _kernel_op(lambda s: _line((2 * radius + 1) * s, angle))


#: Interpolations a scaler may blow a small picture up with (players, editors and platforms
#: differ); one per seed, so the heads learn lost resolution, not one kernel's trace.
_UPSCALERS = (cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_LANCZOS4)


def _resolution_blur(factor: float, rng) -> FrameOp:
    """Area-downscale, then upscale with a scaler drawn per seed: footage shot or sent small
    and blown up."""
    upscaler = _UPSCALERS[rng.integers(len(_UPSCALERS))]

    def op(f):
        h, w = f.shape[:2]
        small = cv2.resize(f, (max(1, round(w / factor)), max(1, round(h / factor))), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=upscaler)

    return op


def _compression_blur(p: tuple[float, int], rng) -> FrameOp:
    """Detail gone as at a starved bit rate: a strong low-pass, then a mild tone step that
    flattens the smoothed areas into plateaus."""
    sigma, step = p
    table = np.clip(np.rint((np.arange(256) // step + 0.5) * step), 0, 255).astype(np.uint8)
    return lambda f: cv2.LUT(cv2.GaussianBlur(f, (0, 0), sigma), table)


# --- temporal ---------------------------------------------------------------------------


def _shaking(amplitude: float, rng) -> FrameOp:
    """Hand-held jitter: a random, slightly smoothed offset per frame, with the frame zoomed
    just enough that the displaced borders stay outside it (the crop of a stabiliser)."""
    state = np.zeros(2)

    def op(f):
        nonlocal state
        h, w = f.shape[:2]
        reach = 2.5 * amplitude * h  # offsets are clipped here; the zoom hides this much
        state = 0.6 * state + 0.8 * rng.standard_normal(2)  # unit variance, correlated over ~2 frames
        dx, dy = np.clip(state * amplitude * h, -reach, reach)
        zoom = 1.0 + 2.0 * reach / h
        m = np.float32([[zoom, 0, (1 - zoom) * w / 2 + dx], [0, zoom, (1 - zoom) * h / 2 + dy]])
        return cv2.warpAffine(f, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    return op


#: Periodic flicker's rate: lamps beating against the shutter, exposure that oscillates.
_FLICKER_HZ = (3.0, 10.0)


def _flicker(frames: Iterator[np.ndarray], amplitude: float, rng, fps: float) -> Distorted:
    """Brightness that swings by up to +-amplitude of the picture's level every frame, in one
    of the forms flicker takes, drawn per seed: a gain (exposure, lamps) or the same swing
    added to every code (an editor's brightness, a decoder's DC error), each either
    independent per frame or periodic at 3-10 Hz. One form alone taught the heads its
    trace: trained on independent gains only, FFmpeg's 6 Hz brightness swing read the same
    at three strengths."""
    additive = bool(rng.integers(2))
    periodic = bool(rng.integers(2))
    hz, phase = rng.uniform(*_FLICKER_HZ), rng.uniform(0.0, 2.0 * math.pi)
    codes = np.arange(256, dtype=np.float64)

    def run():
        for i, f in enumerate(frames):
            swing = amplitude * (math.sin(2.0 * math.pi * hz * i / fps + phase) if periodic else rng.uniform(-1.0, 1.0))
            curve = codes + 128.0 * swing if additive else codes * (1.0 + swing)
            yield cv2.LUT(f, np.clip(np.rint(curve), 0, 255).astype(np.uint8))

    return Distorted(run())


def _stutter(frames: Iterator[np.ndarray], hold: int, rng, fps: float) -> Distorted:
    """Show every hold-th frame, each held for hold frame times: fps / hold, same length.

    A held frame is yielded as the same array object.
    """

    def run():
        for i, f in enumerate(frames):
            if i % hold == 0:
                shown = f
            yield shown

    return Distorted(run())


def _drop(frames: Iterator[np.ndarray], fraction: float, rng, fps: float) -> Distorted:
    """Lose each frame (never the first) with probability `fraction`; the survivors keep
    their times, so a player holds the previous picture over each gap."""
    pts: list[float] = []

    def run():
        for i, f in enumerate(frames):
            if i == 0 or rng.random() >= fraction:
                pts.append(i / fps)
                yield f

    return Distorted(run(), pts)


def _stall(frames: Iterator[np.ndarray], ratio: float, rng, fps: float) -> Distorted:
    """Rebuffering: the picture freezes, then playback resumes where it stopped.

    The first stall comes 0.3-0.8 s into the content, the next ones every 1.5-3.5 s; each
    lasts `ratio` times the content interval that follows it, so stalled time is about
    ratio x content time. Frames are inserted (repeats of the frozen one, the same array
    object), so the clip grows by that much at a regular frame rate.
    """

    def run():
        due = rng.uniform(0.3, 0.8)
        for i, f in enumerate(frames):
            yield f
            if (i + 1) / fps >= due:
                gap = rng.uniform(1.5, 3.5)
                for _ in range(round(ratio * gap * fps)):
                    yield f
                due += gap

    return Distorted(run())


def _h264(frames: Iterator[np.ndarray], crf: int, rng, fps: float) -> Distorted:
    """The frames pass untouched; the damage is done by writing them at this CRF."""
    return Distorted(frames, None, {"crf": crf})


# --- registry ---------------------------------------------------------------------------


def _entry(name: str, taxonomy: str, kind: str, levels: tuple, param: str, apply, keeps_resolution: bool = True) -> Distortion:
    """`keeps_resolution=False` for a type whose level is the share of the detail it keeps
    (moire's scale, ringing's cut-off): it loses what a downscale by 1 / level loses."""
    dimension = str(taxonomy_type(taxonomy).dimension)
    downscale = None if keeps_resolution else tuple(1.0 / v for v in levels)
    return Distortion(name, taxonomy, dimension, kind, levels, param, _per_frame(apply) if kind == "frame" else apply, downscale)


DISTORTIONS: dict[str, Distortion] = {
    d.name: d
    for d in (
        # colour
        _entry("low_saturation", "low saturation", "frame", (0.6, 0.4, 0.2, 0.1, 0.0), "chroma gain about luma", _chroma),
        _entry("high_saturation", "high saturation", "frame", (1.5, 2.0, 3.0, 6.0, 9.0), "chroma gain about luma", _chroma),
        _entry("over_dark", "over dark", "frame", (0.05, 0.1, 0.2, 0.4, 0.8), "KADID darken amount: mid-grey to 0.5 - a/2", _over_dark),
        _entry("over_bright", "over bright", "frame", (0.1, 0.2, 0.4, 0.7, 1.1), "KADID brighten amount: mid-grey to 0.5 + a/2", _over_bright),
        _entry("low_contrast", "low contrast ratio", "frame", (0.8, 0.6, 0.4, 0.3, 0.2), "tone slope about mid-grey", _contrast),
        _entry("high_contrast", "high contrast ratio", "frame", (1.15, 1.3, 1.5, 1.75, 2.1), "tone slope about mid-grey", _contrast),
        _entry("color_cast", "color cast", "frame", (0.06, 0.12, 0.2, 0.3, 0.45), "white-balance gain error", _color_cast),
        # noise
        _entry("gaussian_noise", "gaussian noise", "frame", (0.001, 0.002, 0.003, 0.005, 0.01), "variance on 0..1 pixels, fixed field", _gaussian_noise),
        _entry("pulse_noise", "pulse noise", "frame", (0.001, 0.005, 0.01, 0.02, 0.03), "fraction of pixels black or white, fixed", _pulse_noise),
        _entry("stripe_noise", "stripe noise", "frame", (2.0, 4.0, 6.0, 9.0, 13.0), "std of per-column offsets, 8-bit", _stripe_noise),
        _entry("temporal_noise", "temporal noise", "frame", (3.0, 5.0, 8.0, 12.0, 17.0), "grain std, 8-bit, fresh per frame", _film_grain),
        # artifacts
        _entry("compression", "compression artifact", "encode", (30, 36, 41, 46, 51), "H.264 CRF", _h264),
        _entry("jpeg_blocking", "square artifact", "frame", (43, 36, 24, 7, 4), "JPEG quality per frame", _jpeg),
        _entry("ringing", "ring artifact", "frame", (0.7, 0.5, 0.35, 0.25, 0.18), "ideal low-pass cut-off, fraction of Nyquist", _ringing,
               keeps_resolution=False),
        _entry("banding", "banding", "frame", (20, 16, 13, 10, 7), "quantisation thresholds per channel", _banding),
        _entry("moire", "moire pattern", "frame", (0.85, 0.7, 0.55, 0.4, 0.28), "nearest-neighbour scale", _moire, keeps_resolution=False),
        # blur
        _entry("gaussian_blur", "gaussian blur", "frame", (0.1, 0.5, 1.0, 2.0, 5.0), "sigma, px", _gaussian_blur),
        _entry("defocus_blur", "shooting system blur", "frame", (1.0, 2.0, 4.0, 6.0, 8.0), "disc radius, px", _defocus_blur),
        _entry("motion_blur", "motion blur", "frame", (1, 2, 4, 6, 10), "streak radius r, px (length 2r + 1)", _motion_blur),
        _entry("resolution_blur", "resolution blur", "frame", (1.5, 2.0, 3.0, 4.0, 6.0), "downscale factor", _resolution_blur),
        _entry("compression_blur", "compression blur", "frame", ((1.0, 4), (1.5, 6), (2.0, 8), (3.0, 10), (4.0, 12)), "(low-pass sigma px, tone step)", _compression_blur),
        # temporal
        _entry("shaking", "shaking", "frame", (0.004, 0.008, 0.015, 0.025, 0.04), "jitter std, fraction of height", _shaking),
        _entry("stutter", "lagging", "sequence", (2, 3, 4, 6, 8), "frames each picture is held", _stutter),
        _entry("dropped_frames", "lagging", "sequence", (0.1, 0.2, 0.3, 0.45, 0.6), "fraction of frames dropped", _drop),
        _entry("stalling", "stalling", "sequence", (0.1, 0.2, 0.35, 0.5, 0.8), "stalled time per content time", _stall),
        _entry("flicker", "flickering", "sequence", (0.03, 0.06, 0.1, 0.15, 0.22), "brightness swing, share of the level", _flicker),
    )
}
