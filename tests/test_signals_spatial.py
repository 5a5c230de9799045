"""Spatial signals: each follows the strength of its distortion, and not the picture.

Test pictures are painted here (1/f texture, a sky gradient, shapes, lines and text, a
little sensor grain) at two sizes and seeds; distortions are applied with cv2 and numpy.
For every primary signal we check that it moves strictly one way over four or five
increasing strengths on both pictures, and that the two clean pictures read alike compared
with how far the distortion moves the signal.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from finevq.signals.spatial import SPATIAL_SIGNALS, spatial_signals
from finevq.taxonomy import distortion

# ---------------------------------------------------------------- test pictures


def _scene(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    layers = []
    for _ in range(3):
        spectrum = (rng.normal(size=f.shape) + 1j * rng.normal(size=f.shape)) / f
        spectrum[0, 0] = 0.0
        layer = np.fft.irfft2(spectrum, s=(h, w))
        layers.append(layer / layer.std())
    # One luminance and two zero-mean opponent layers around a neutral grey: no colour cast.
    mix = np.array([[1.0, 0.6, 0.2], [1.0, 0.0, 0.3], [1.0, -0.4, -0.5]]) * np.array([40.0, 18.0, 12.0])
    img = np.einsum("ck,khw->hwc", mix, np.stack(layers)) + rng.uniform(105, 135)

    # A sky over the top quarter: a smooth, slightly oblique gradient with faint clouds.
    sky = h // 4
    yy, xx = np.mgrid[0:sky, 0:w]
    t = np.clip((yy / sky) * 0.85 + (xx / w) * 0.15, 0, 1)[..., None]
    clouds = 4.0 * layers[0][:sky, :, None]
    img[:sky] = np.array([70.0, 120.0, 200.0]) * (1 - t) + np.array([200.0, 220.0, 240.0]) * t + clouds
    img = np.ascontiguousarray(np.clip(img, 0, 255), dtype=np.uint8)

    scale = min(h, w) / 1080
    for _ in range(16):
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        cx, cy, r = int(rng.uniform(0, w)), int(rng.uniform(sky, h)), int(rng.uniform(30, 160) * scale) + 2
        kind = rng.integers(3)
        if kind == 0:
            cv2.rectangle(img, (cx - r, cy - r // 2), (cx + r, cy + r // 2), colour, -1, cv2.LINE_AA)
        elif kind == 1:
            cv2.circle(img, (cx, cy), r, colour, -1, cv2.LINE_AA)
        else:
            points = (rng.uniform(0, 1, (4, 2)) * [w, h]).astype(np.int32)
            cv2.polylines(img, [points], False, colour, max(1, int(3 * scale)), cv2.LINE_AA)
    for i in range(4):
        ink = (250, 250, 245) if i % 2 else (15, 15, 20)
        origin = (int(w * 0.05), int(sky + (i + 1) * h * 0.15))
        cv2.putText(img, "FineVQ 0123 quality", origin, cv2.FONT_HERSHEY_SIMPLEX, 1.4 * scale, ink, max(1, int(3 * scale)), cv2.LINE_AA)
    soft = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 0.5)  # optics
    return np.clip(np.rint(soft + rng.normal(0, 1.0, soft.shape)), 0, 255).astype(np.uint8)  # grain


@pytest.fixture(scope="module")
def scenes() -> dict[str, np.ndarray]:
    return {"720p": _scene(720, 1280, seed=1), "540p": _scene(540, 960, seed=2)}


# ---------------------------------------------------------------- distortions


def _u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def gaussian_blur(x, sigma):
    return cv2.GaussianBlur(x, (0, 0), sigma)


def defocus(x, radius):
    kernel = np.zeros((2 * radius + 1,) * 2, np.float32)
    cv2.circle(kernel, (radius, radius), radius, 1.0, -1)
    return cv2.filter2D(x, -1, kernel / kernel.sum())


def motion_blur(x, length, angle=20.0):
    kernel = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    dx, dy = c * math.cos(math.radians(angle)), c * math.sin(math.radians(angle))
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    return cv2.filter2D(x, -1, kernel / kernel.sum())


def down_up(x, factor):
    h, w = x.shape[:2]
    small = cv2.resize(x, (round(w / factor), round(h / factor)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def gaussian_noise(x, sigma):
    return _u8(x + np.random.default_rng(7).normal(0, sigma, x.shape))


def salt_pepper(x, share):
    u = np.random.default_rng(8).random(x.shape[:2])
    y = x.copy()
    y[u < share / 2] = 0
    y[(u >= share / 2) & (u < share)] = 255
    return y


def row_stripes(x, amplitude):
    offsets = np.random.default_rng(9).normal(0, amplitude, x.shape[0])
    return _u8(x + offsets[:, None, None])


def jpeg(x, quality):
    ok, data = cv2.imencode(".jpg", x[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


def quantise(x, levels):
    step = 256 / levels
    return _u8(np.floor(x / step) * step + step / 2)


def sharpen(x, amount):
    f = x.astype(np.float32)
    return _u8(f + amount * (f - cv2.GaussianBlur(f, (0, 0), 1.5)))


def grating(x, amplitude, freq=0.31, angle=33.0):
    h, w = x.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    a = math.radians(angle)
    return _u8(x + amplitude * np.sin(2 * math.pi * freq * (xx * math.cos(a) + yy * math.sin(a)))[..., None])


def saturation(x, scale):
    grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None]
    return _u8(grey + scale * (x - grey))


def gamma(x, g):
    return _u8(255.0 * (x / 255.0) ** g)


def gain(x, k):
    return _u8(x * k)


def contrast(x, c):
    mean = float(x.mean())
    return _u8(mean + c * (x - mean))


def warm_cast(x, k):
    return _u8(x * np.array([1 + k, 1.0, 1 - k]))


# ---------------------------------------------------------------- monotonic responses

#: (signal, distortion, strengths, direction): the signal must move strictly in `direction`
#: from the clean picture through each strength in turn.
CASES: list[tuple[str, Callable, tuple, int]] = [
    ("blur_edge_width", gaussian_blur, (1, 2, 4, 8), +1),
    ("blur_reblur", gaussian_blur, (0.5, 1, 2, 4), +1),
    ("blur_fine_coarse", gaussian_blur, (0.5, 1, 2, 4), -1),
    ("blur_edge_width", defocus, (1, 2, 4, 8), +1),
    ("blur_fine_coarse", defocus, (1, 2, 4, 8), -1),
    ("blur_edge_width", motion_blur, (5, 9, 15, 21), +1),
    ("blur_anisotropy", motion_blur, (5, 9, 15, 21), +1),
    ("blur_edge_width", down_up, (1.5, 2, 3, 4), +1),
    ("blur_fine_coarse", down_up, (1.5, 2, 3, 4), -1),
    ("noise_sigma", gaussian_noise, (2, 4, 8, 16), +1),
    ("noise_pulse", salt_pepper, (0.002, 0.01, 0.03, 0.1), +1),
    ("noise_stripe", row_stripes, (1, 2, 4, 8), +1),
    ("artifact_blockiness", jpeg, (90, 70, 50, 30, 10), +1),
    ("artifact_compression", jpeg, (90, 70, 50, 30, 10), +1),
    ("artifact_banding", quantise, (64, 32, 16, 8), +1),
    ("artifact_code_gaps", quantise, (64, 32, 16, 8), +1),
    ("artifact_ringing", sharpen, (0.5, 1, 2, 4), +1),
    ("artifact_moire", grating, (2, 4, 8, 16), +1),
    ("color_saturation", saturation, (0.75, 0.5, 0.25, 0.0), -1),
    ("color_colorfulness", saturation, (0.75, 0.5, 0.25, 0.0), -1),
    ("color_saturation", saturation, (1.3, 1.6, 2.0, 2.5), +1),
    ("color_saturated_share", saturation, (1.3, 1.6, 2.0, 2.5), +1),
    ("color_luma_mean", gamma, (1.3, 1.7, 2.2, 3.0), -1),
    ("color_clip_dark", gamma, (1.3, 1.7, 2.2, 3.0), +1),
    ("color_luma_p95", gamma, (1.3, 1.7, 2.2, 3.0), -1),
    ("color_luma_mean", gamma, (0.8, 0.6, 0.45, 0.3), +1),
    ("color_luma_p5", gamma, (0.8, 0.6, 0.45, 0.3), +1),
    ("color_clip_bright", gain, (1.2, 1.4, 1.7, 2.0), +1),
    ("color_contrast_rms", contrast, (0.8, 0.6, 0.4, 0.2), -1),
    ("color_contrast_span", contrast, (0.8, 0.6, 0.4, 0.2), -1),
    ("color_contrast_rms", contrast, (1.2, 1.5, 2.0, 3.0), +1),
    ("color_cast", warm_cast, (0.05, 0.1, 0.2, 0.3), +1),
]

#: The clean pictures' readings may differ by at most this share of the change the
#: strongest distortion of the signal's own kind causes (the smaller over the pictures).
_CLEAN_BAND = 0.3

_CACHE: dict[tuple, dict[str, float]] = {}
#: These tests check what each measure does to the pixels it reads, with distortions sized
#: for the 720p and 540p scenes, so blur and colour read the scenes at full size here; the
#: assessor reads them at PICTURE_LINES (test_the_picture_is_read_at_picture_lines).
NATIVE = 1080


def _signals(scenes, name: str, fn: Callable | None = None, strength=None) -> dict[str, float]:
    key = (name, getattr(fn, "__name__", None), strength)
    if key not in _CACHE:
        img = scenes[name] if fn is None else fn(scenes[name], strength)
        _CACHE[key] = spatial_signals(img, picture_lines=NATIVE)
    return _CACHE[key]


def _series(scenes, name: str, fn: Callable, strengths: tuple) -> list[dict[str, float]]:
    return [_signals(scenes, name)] + [_signals(scenes, name, fn, s) for s in strengths]


@pytest.mark.parametrize("signal, fn, strengths, direction", CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in CASES])
def test_signal_follows_distortion_strength(scenes, signal, fn, strengths, direction):
    for name in scenes:
        series = [s[signal] for s in _series(scenes, name, fn, strengths)]
        steps = np.diff(series) * direction
        assert (steps > 0).all(), f"{signal} not monotone under {fn.__name__} on {name}: {np.round(series, 4)}"


@pytest.mark.parametrize("signal", sorted({c[0] for c in CASES}))
def test_clean_pictures_agree_compared_with_distortion(scenes, signal):
    """Two clean pictures (other content, other size) read alike next to what distortion does."""
    clean = np.array([_signals(scenes, name)[signal] for name in scenes])
    change = np.array([
        max(abs(_series(scenes, name, fn, strengths)[-1][signal] - clean[i]) for sig, fn, strengths, _ in CASES if sig == signal)
        for i, name in enumerate(scenes)
    ])
    if signal == "blur_edge_width":
        # Per mille of the picture on purpose (a sharp 540p frame looks softer on screen than
        # a sharp 720p one); what must not depend on content is the width in pixels.
        pixels = np.array([min(img.shape[:2]) / 1000 for img in scenes.values()])
        clean, change = clean * pixels, change * pixels
    assert clean.max() - clean.min() <= _CLEAN_BAND * change.min(), f"{signal}: clean {clean} vs change {change}"


def test_upscaling_is_told_apart_from_other_blur(scenes):
    for name in scenes:
        assert _signals(scenes, name)["blur_upscale_residue"] < 0.1
        for factor in (1.5, 2, 3, 4):
            assert _signals(scenes, name, down_up, factor)["blur_upscale_residue"] > 0.3
        for sigma in (1, 2, 4, 8):
            assert _signals(scenes, name, gaussian_blur, sigma)["blur_upscale_residue"] < 0.1


def test_motion_blur_is_told_apart_from_isotropic_blur(scenes):
    for name in scenes:
        # Isotropic blur of about the same amount as a 15-px motion blur.
        isotropic = [_signals(scenes, name, fn, s)["blur_anisotropy"] for fn in (gaussian_blur, defocus) for s in (1, 2, 4)]
        assert max(isotropic) < 0.1
        assert _signals(scenes, name, motion_blur, 15)["blur_anisotropy"] > 2 * max(isotropic)


def test_clean_pictures_read_clean(scenes):
    for name in scenes:
        s = _signals(scenes, name)
        assert s["noise_pulse"] < 1e-4 and s["noise_stripe"] < 0.5 and s["noise_sigma"] < 1.5
        assert s["artifact_blockiness"] < 0.05 and s["artifact_code_gaps"] < 0.05 and s["artifact_banding"] < 0.05
        assert s["artifact_moire"] < 0.015 and s["color_cast"] < 8


def test_banding_is_judged_relative_to_the_picture_height():
    """An 8-bit ramp steps one code every few pixels, which is no visible band at any size;
    posterised to 16 levels it bands at any height, and dither breaking the bands into
    blotches does not hide them."""
    from finevq.signals.artifact import _posterised_share

    rng = np.random.default_rng(0)

    def ramp(lines: int, levels: int | None = None, dither: float = 0.0) -> np.ndarray:
        column = np.linspace(60, 160, lines)[:, None] + rng.normal(0, dither, (lines, lines * 16 // 9))
        if levels:
            column = np.round((column - 60) / 100 * (levels - 1)) / (levels - 1) * 100 + 60
        return np.round(column).astype(np.float32)

    for lines in (360, 720, 1080):
        assert _posterised_share(ramp(lines)) < 0.05, lines
        assert _posterised_share(ramp(lines, dither=2.0)) < 0.05, lines
        assert _posterised_share(ramp(lines, levels=16)) > 0.3, lines
        assert _posterised_share(ramp(lines, levels=8, dither=2.0)) > 0.3, lines


# ---------------------------------------------------------------- contract


def test_specs_match_output_and_taxonomy(scenes):
    out = _signals(scenes, "540p")
    assert list(out) == list(SPATIAL_SIGNALS)
    assert 20 <= len(out) <= 30
    for name, spec in SPATIAL_SIGNALS.items():
        assert spec.name == name and name.startswith(spec.dimension + "_")
        assert spec.dimension in ("color", "noise", "artifact", "blur")
        assert spec.worse_when in ("higher", "lower", "away")
        assert spec.doc
        for d in spec.detects:
            dtype = distortion(d)
            assert dtype.name == d and dtype.dimension.value == spec.dimension and dtype.path == "spatial"


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((1080, 1920, 3), np.uint8),
        np.full((720, 1280, 3), 128, np.uint8),
        np.full((480, 640, 3), 255, np.uint8),
        np.full((32, 32, 3), 90, np.uint8),
        np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8),
        np.random.default_rng(4).integers(0, 256, (540, 960, 3), dtype=np.uint8),
        np.random.default_rng(5).integers(0, 256, (37, 53, 3), dtype=np.uint8),
    ],
    ids=["black-1080p", "grey-720p", "white-480p", "flat-32", "noise-32", "noise-540p", "odd-37x53"],
)
def test_finite_on_degenerate_frames(frame):
    values = spatial_signals(frame)
    assert list(values) == list(SPATIAL_SIGNALS)
    assert all(isinstance(v, float) and math.isfinite(v) for v in values.values())


def test_large_and_portrait_frames(scenes):
    big = cv2.resize(scenes["720p"], (4000, 2250), interpolation=cv2.INTER_CUBIC)
    portrait = np.ascontiguousarray(np.rot90(scenes["540p"]))
    for frame in (big, portrait):
        assert all(math.isfinite(v) for v in spatial_signals(frame).values())
    # Rotating the picture by 90 degrees moves nothing that is not directional.
    upright, turned = _signals(scenes, "540p"), spatial_signals(portrait, picture_lines=NATIVE)
    for key in ("noise_sigma", "color_luma_mean", "color_saturation", "blur_edge_width"):
        assert turned[key] == pytest.approx(upright[key], rel=0.15, abs=0.05)


def test_deterministic_and_pure(scenes):
    frame = jpeg(scenes["540p"], 40)
    before = frame.copy()
    assert spatial_signals(frame) == spatial_signals(frame)
    assert np.array_equal(frame, before)


def test_a_subset_reads_the_same_values(scenes):
    """The timeline asks only for what its heads read; those values must not change."""
    from finevq.heads import load_default_heads

    frame = jpeg(scenes["540p"], 40)
    every = spatial_signals(frame)
    for wanted in (load_default_heads().signal_names, {"artifact_compression"}, {"color_cast", "noise_pulse", "shake_rms"}):
        subset = spatial_signals(frame, wanted)
        assert subset == {k: v for k, v in every.items() if k in wanted}
    assert spatial_signals(frame, ()) == {}


def test_a_frame_and_its_glance_read_as_the_two_calls_do(scenes):
    """A sampled frame that is also a timeline frame is measured once for both; the numbers
    must be those of the separate calls, bit for bit, at every size (below, at and above
    the picture size, and a panorama whose picture is wider than the native crop)."""
    from finevq.heads import load_default_heads
    from finevq.signals.spatial import at_most_lines, signals_and_glance

    wanted = load_default_heads().signal_names
    base = jpeg(scenes["720p"], 40)
    panorama = np.ascontiguousarray(np.tile(base, (1, 4, 1)))  # 5120x720: picture 2560x360
    for frame in (base, scenes["540p"], cv2.resize(base, (480, 270), interpolation=cv2.INTER_AREA), panorama):
        for glance_wanted in (wanted, None):
            whole, glance = signals_and_glance(frame, glance_wanted)
            assert whole == spatial_signals(frame)
            assert glance == spatial_signals(at_most_lines(frame), glance_wanted)


def test_rejects_what_is_not_an_rgb_frame():
    with pytest.raises(ValueError):
        spatial_signals(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError):
        spatial_signals(np.zeros((64, 64, 3), np.float32))
    with pytest.raises(ValueError):
        spatial_signals(np.zeros((8, 64, 3), np.uint8))


def test_the_picture_is_read_at_picture_lines(scenes):
    """Blur and colour read a 720p frame as its 360-line copy: the heads were trained on
    clips of at most 360 lines, and finer edges than any of theirs had read as coding edges."""
    frame = scenes["720p"]
    small = cv2.resize(frame, (640, 360), interpolation=cv2.INTER_AREA)
    big, copy = spatial_signals(frame), spatial_signals(small)
    for name, spec in SPATIAL_SIGNALS.items():
        if spec.dimension in ("blur", "color"):
            assert big[name] == pytest.approx(copy[name], rel=1e-6, abs=1e-9), name
    assert spatial_signals(frame, picture_lines=NATIVE)["blur_edge_width"] < 0.7 * big["blur_edge_width"]
