"""The synthetic toolkit: natural-looking content, the distortion registry, the writer.

Calibration fits the heads on these clips, so the properties checked here (levels that grow,
seeds that repeat, timing that survives encoding) are what the calibration relies on.
"""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest

from finevq.synth import DISTORTIONS, distort, iter_clip, make_clip, make_test_video, write_video
from finevq.taxonomy import DISTORTION_TYPES
from finevq.taxonomy import distortion as taxonomy_type

W, H, FPS, N = 160, 96, 24, 48


@pytest.fixture(scope="module")
def clean() -> list[np.ndarray]:
    return make_clip(W, H, N / FPS, FPS, seed=3)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.absdiff(a, b).mean())


def _decode(path) -> tuple[list[np.ndarray], list[float], av.video.stream.VideoStream]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(f.to_ndarray(format="rgb24"), f.time) for f in container.decode(stream)]
    return [f for f, _ in frames], [t for _, t in frames], stream


# --- content ----------------------------------------------------------------------------


def test_clip_is_mid_toned_rgb(clean):
    assert len(clean) == N
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in clean)
    stack = np.stack(clean)
    assert 70 < stack.mean() < 160
    assert (stack == 0).mean() < 1e-3 and (stack == 255).mean() < 1e-3


def test_clip_has_a_natural_spectrum(clean):
    """Natural images have power falling as about 1/f**2 with spatial frequency f."""
    g = cv2.cvtColor(clean[0], cv2.COLOR_RGB2GRAY)[:, :H].astype(np.float64)
    g = (g - g.mean()) * np.outer(np.hanning(H), np.hanning(H))
    power = np.abs(np.fft.fftshift(np.fft.fft2(g))) ** 2
    y, x = np.indices(power.shape) - H // 2
    r = np.hypot(x, y).astype(int).ravel()
    profile = np.bincount(r, power.ravel()) / np.bincount(r)
    k = np.arange(2, H // 2)
    slope = np.polyfit(np.log(k), np.log(profile[k]), 1)[0]
    assert -3.5 < slope < -1.5


def test_clip_is_seeded():
    a, b, c = (make_clip(W, H, 0.25, FPS, seed=s) for s in (1, 1, 2))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert _mad(a[0], c[0]) > 15
    assert all(np.array_equal(x, y) for x, y in zip(iter_clip(W, H, 0.25, FPS, seed=1), a))


def test_clip_motion_is_smooth(clean):
    steps = [_mad(a, b) for a, b in zip(clean, clean[1:])]
    assert min(steps) > 0.05  # always something moves
    assert max(steps) < 3 * np.median(steps) + 1  # no jumps
    still = make_clip(W, H, N / FPS, FPS, seed=3, motion="static")
    assert np.mean([_mad(a, b) for a, b in zip(still, still[1:])]) < 0.5 * np.mean(steps)


def test_clip_rejects_unknown_motion():
    with pytest.raises(ValueError):
        make_clip(W, H, 1, FPS, seed=0, motion="zoom")


# --- registry ---------------------------------------------------------------------------


def test_registry_names_resolve_in_the_taxonomy():
    for d in DISTORTIONS.values():
        t = taxonomy_type(d.taxonomy)
        assert str(t.dimension) == d.dimension
        assert d.kind in ("frame", "sequence", "encode") and len(d.levels) == 5
    covered = {taxonomy_type(d.taxonomy).name for d in DISTORTIONS.values()}
    measurable = {t.name for t in DISTORTION_TYPES if t.measurable}
    assert measurable - covered == {"exposure blur"}


@pytest.mark.parametrize("name", DISTORTIONS)
def test_frame_count_and_size(name, clean):
    for level in (1, 5):
        d = distort(clean, FPS, name, level)
        frames = list(d.frames)
        assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for f in frames)
        if name == "dropped_frames":
            assert len(frames) < N and len(d.pts) == len(frames)
            assert d.pts[0] == 0 and all(b > a for a, b in zip(d.pts, d.pts[1:]))
        elif name == "stalling":
            assert len(frames) > N and d.pts is None
        else:
            assert len(frames) == N and d.pts is None
        assert ("crf" in d.encode) == (DISTORTIONS[name].kind == "encode")


@pytest.mark.parametrize("name", DISTORTIONS)
def test_same_seed_same_frames(name, clean):
    a, b = (list(distort(clean, FPS, name, 3, seed=11).frames) for _ in range(2))
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _deviation(name: str, level: int, clean: list[np.ndarray]) -> float:
    """How far a level moves the clip from the clean one, in the measure that fits its family."""
    frames = list(distort(clean, FPS, name, level, seed=0).frames)
    if name == "dropped_frames":
        return N - len(frames)
    if name == "stalling":
        return len(frames) - N
    return float(np.mean([_mad(f, c) for f, c in zip(frames, clean)]))


@pytest.mark.parametrize("name", [n for n, d in DISTORTIONS.items() if d.kind != "encode"])
def test_levels_grow_monotonically(name, clean):
    deviations = [_deviation(name, level, clean) for level in range(6)]
    assert deviations[0] == 0
    assert all(a < b for a, b in zip(deviations[1:], deviations[2:])), deviations
    assert deviations[1] > 0 or name == "gaussian_blur", deviations  # KADID-10k's level 1 σ=0.1 is invisible


FORMS = {"flicker": 4, "resolution_blur": 3, "over_bright": 2, "over_dark": 2}


@pytest.mark.parametrize("name", FORMS)
def test_seeds_vary_how_a_distortion_is_made(name, clean):
    """Flicker (gain or offset, random or periodic), resolution blur (three upscalers) and
    exposure (curve or offset) take a form per seed, so heads learn the distortion rather
    than one implementation's trace; each form still grows with the level."""
    forms = set()
    for seed in range(12):
        frames = list(distort(clean, FPS, name, 5, seed=seed).frames)
        if name == "flicker":
            shift = np.array([f.mean() for f in frames]) - np.array([c.mean() for c in clean])
            spread = np.mean([(f.astype(float) - c).std() for f, c in zip(frames, clean)])  # ~0 for an offset
            power = np.abs(np.fft.rfft(shift - shift.mean()))[1:] ** 2
            peak = power.max() / power.sum()  # one frequency (and its leakage) holds a periodic swing
            forms.add((spread > 2.0, peak > 0.3))
        else:
            forms.add(frames[0].tobytes())
        weak = [_mad(f, c) for f, c in zip(distort(clean, FPS, name, 1, seed=seed).frames, clean)]
        assert np.mean([_mad(f, c) for f, c in zip(frames, clean)]) > np.mean(weak)
    assert len(forms) == FORMS[name], forms


def test_compression_levels_grow(clean, tmp_path):
    deviations = []
    for level in range(1, 6):
        d = distort(clean, FPS, "compression", level)
        path = write_video(tmp_path / f"c{level}.mp4", d.frames, FPS, **d.encode)
        frames, _, _ = _decode(path)
        deviations.append(np.mean([_mad(f, c) for f, c in zip(frames, clean)]))
    assert all(a < b for a, b in zip(deviations, deviations[1:])), deviations


def test_distort_rejects_bad_arguments(clean):
    with pytest.raises(KeyError):
        distort(clean, FPS, "vignette", 1)
    with pytest.raises(ValueError):
        distort(clean, FPS, "gaussian_blur", 6)


# --- writing ----------------------------------------------------------------------------


def test_clean_video_round_trips(tmp_path, clean):
    path = make_test_video(tmp_path / "clean.mp4", width=W, height=H, seconds=N / FPS, fps=FPS, seed=3)
    frames, times, stream = _decode(path)
    assert len(frames) == N and frames[0].shape == (H, W, 3)
    assert stream.average_rate == FPS
    assert times == pytest.approx([i / FPS for i in range(N)], abs=1e-3)
    # Visually clean: near-transparent against the clip as 4:2:0 itself leaves it.
    subsampled = [av.VideoFrame.from_ndarray(c, format="rgb24").reformat(format="yuv420p").to_ndarray(format="rgb24") for c in clean]
    assert np.mean([cv2.PSNR(f, c) for f, c in zip(frames, subsampled)]) > 36


def test_dropped_frame_gaps_survive_writing(tmp_path, clean):
    d = distort(clean, FPS, "dropped_frames", 4)
    frames, times, _ = _decode(write_video(tmp_path / "dropped.mp4", d.frames, FPS, pts=d.pts))
    assert len(frames) == len(d.pts) < N
    assert times == pytest.approx(d.pts, abs=1e-3)
    assert max(np.diff(times)) > 1.5 / FPS


def test_sequence_distortion_written_through_make_test_video(tmp_path):
    frames, _, _ = _decode(make_test_video(tmp_path / "stall.mp4", distortion="stalling", level=3, width=W, height=H, seconds=1.0, fps=FPS))
    assert len(frames) > FPS


def test_odd_sizes_are_refused_for_subsampled_chroma(tmp_path):
    with pytest.raises(ValueError, match="even"):
        write_video(tmp_path / "odd.mp4", [np.zeros((95, 160, 3), np.uint8)], FPS)
