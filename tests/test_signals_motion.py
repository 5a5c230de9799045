"""The motion path on synthetic luma: every primary signal must grow with the strength of its
distortion (heads map them through monotone curves) and stay at its floor on clean content."""

from __future__ import annotations

import math
import tracemalloc

import cv2
import numpy as np
import pytest

from finevq.signals.motion import MOTION_SIGNALS, MotionAnalyzer, MotionReport

W, H, FPS, N = 192, 108, 30.0, 120


def _texture(seed: int) -> np.ndarray:
    """A scene with fine and coarse texture and hard-edged objects, larger than the frame."""
    rng = np.random.default_rng(seed)
    size = (400, 700)
    image = np.zeros(size, np.float32)
    for sigma, weight in ((1.5, 0.6), (5.0, 1.0), (20.0, 1.5)):
        layer = cv2.GaussianBlur(rng.standard_normal(size).astype(np.float32), (0, 0), sigma)
        image += weight * layer / layer.std()
    image = (image - image.min()) / (image.max() - image.min()) * 200 + 30
    for _ in range(12):
        x, y = int(rng.integers(0, size[1] - 80)), int(rng.integers(0, size[0] - 60))
        w, h = int(rng.integers(20, 80)), int(rng.integers(20, 60))
        cv2.rectangle(image, (x, y), (x + w, y + h), float(rng.uniform(20, 235)), -1)
    return image


SCENES = {0: _texture(0), 1: _texture(1)}


def view(x: float, y: float, scene: int = 0) -> np.ndarray:
    """The frame a camera sees at sub-pixel position (x, y) of a scene."""
    shift = np.float32([[1, 0, -x], [0, 1, -y]])
    return cv2.warpAffine(SCENES[scene], shift, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def pan(n: int = N, *, jitter: float = 0.0, freeze: tuple[int, int] | None = None, repeat_every: int = 0,
        seed: int = 0) -> list[np.ndarray]:
    """A smooth diagonal pan (2 px/frame), optionally with per-frame jitter, a stall (frames
    [a, b) repeat frame a-1, then playback resumes where it stopped, as after rebuffering) or
    every k-th frame repeating its predecessor (content keeps real time, as with dropped frames)."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        t = i
        if freeze and i >= freeze[0]:
            t = freeze[0] - 1 if i < freeze[1] else i - (freeze[1] - freeze[0])
        if repeat_every and i % repeat_every == repeat_every - 1:
            t = i - 1
        ox, oy = rng.normal(0.0, jitter, 2) if jitter else (0.0, 0.0)
        frames.append(view(40 + 2.0 * t + ox, 40 + 0.6 * t + oy))
    return frames


CLEAN = pan()


def analyse(frames, pts=None, fps: float | None = FPS) -> MotionReport:
    analyzer = MotionAnalyzer(fps)
    for i, frame in enumerate(frames):
        analyzer.update(np.clip(np.rint(frame), 0, 255).astype(np.uint8), None if pts is None else float(pts[i]))
    return analyzer.finish()


def increasing(values) -> bool:
    return all(b > a for a, b in zip(values, values[1:]))


def kinds(report: MotionReport) -> list[str]:
    return [e.kind for e in report.events]


@pytest.fixture(scope="module")
def clean() -> MotionReport:
    return analyse(CLEAN)


def test_report_shape_and_documented_signals(clean):
    assert set(clean.signals) == set(MOTION_SIGNALS)
    assert all(math.isfinite(v) for v in clean.signals.values())
    assert len(clean.per_second) == math.ceil(N / FPS)
    for second in clean.per_second:
        assert set(second) <= set(MOTION_SIGNALS) and all(math.isfinite(v) for v in second.values())
    assert set(clean.stalls) == {"count", "total_seconds", "longest_seconds", "share"}
    assert abs(clean.signals["duration"] - N / FPS) < 1e-6
    assert all(("higher is worse" in doc) != doc.startswith("context") for doc in MOTION_SIGNALS.values())


def test_smooth_pan_is_clean(clean):
    s = clean.signals
    assert s["shake_rms"] < 0.001
    assert s["flicker_rms"] < 0.002
    assert s["freeze_ratio"] == s["repeat_ratio"] == s["drop_ratio"] == s["stall_seconds"] == 0
    assert s["jerkiness"] < 0.02 and s["scene_cuts"] == 0
    assert abs(s["global_speed"] - math.hypot(2.0, 0.6) * FPS / W) < 0.02  # widths per second
    assert clean.events == []


def test_still_scenes_never_stall():
    still = analyse([view(40, 40)] * 90)
    assert still.stalls["count"] == 0 and still.signals["freeze_ratio"] == 0
    # A scene that comes to rest (moving, then still to the end) is not a stall either.
    moving = pan(60)
    rest = analyse(moving + moving[-1:] * 60)
    assert rest.stalls["count"] == 0
    # Nor is a still, noisy scene; its noise is still measured.
    rng = np.random.default_rng(1)
    noisy = analyse([view(40, 40) + rng.normal(0, 4, (H, W)) for _ in range(60)])
    assert noisy.stalls["count"] == 0 and 3.0 < noisy.signals["temporal_noise"] < 5.0


def test_stalls_grow_with_freeze_length():
    lengths = [0, 6, 12, 24, 48]  # frames: 0, 0.2 (stutter, not a stall), 0.4, 0.8, 1.6 s
    reports = [analyse(pan(N + n, freeze=(45, 45 + n))) for n in lengths]
    assert increasing([r.signals["freeze_ratio"] for r in reports])
    assert increasing([r.signals["stall_seconds"] for r in reports[1:]])
    assert increasing([r.signals["stall_share"] for r in reports[1:]])
    assert [r.stalls["count"] for r in reports] == [0, 0, 1, 1, 1]
    for n, r in zip(lengths[2:], reports[2:]):
        assert abs(r.stalls["longest_seconds"] - n / FPS) < 1.5 / FPS
        (stall,) = [e for e in r.events if e.kind == "stall"]
        assert abs(stall.start - 45 / FPS) < 1.5 / FPS
    assert "freeze" in kinds(reports[1]) and reports[1].signals["repeat_ratio"] > 0
    assert all(r.signals["shake_rms"] < 0.002 for r in reports)


def test_a_stall_in_a_slow_pan_is_found():
    """0.6 px a frame changes few thumbnail pixels by more than the change threshold (~2%,
    where 5% made content 'moving'), but the frame difference stands far above the noise."""
    frames = [view(40 + 0.6 * t, 40) for t in list(range(30)) + [29] * 24 + list(range(30, 80))]
    report = analyse(frames, fps=24.0)
    assert report.stalls["count"] == 1 and abs(report.stalls["longest_seconds"] - 1.0) < 0.1
    rng = np.random.default_rng(2)  # a still, noisy shot that freezes for a second is not called moving by its noise
    still = [view(40, 40) + rng.normal(0, 3, (H, W)) for _ in range(30)]
    assert analyse(still + still[-1:] * 24 + still, fps=24.0).stalls["count"] == 0


def test_lagging_grows_with_repeated_frames():
    reports = [analyse(pan(repeat_every=k)) for k in (0, 5, 4, 3, 2)]
    for key in ("repeat_ratio", "fps_deficit", "jerkiness", "freeze_ratio"):
        assert increasing([r.signals[key] for r in reports]), key
    assert [round(r.signals["repeat_ratio"], 1) for r in reports] == [0.0, 0.2, 0.2, 0.3, 0.5]
    assert all(r.stalls["count"] == 0 and r.signals["shake_rms"] < 0.001 for r in reports)
    assert "drop" in kinds(reports[-1])


def test_a_picture_shown_twice_at_60_fps_is_30_fps_not_lagging(clean):
    doubled = analyse([f for f in CLEAN for _ in range(2)], fps=2 * FPS)
    s = doubled.signals
    assert s["repeat_ratio"] == s["freeze_ratio"] == 0 and s["fps_deficit"] < 0.05
    assert s["jerkiness"] < 0.02 + clean.signals["jerkiness"]
    assert not {"freeze", "drop", "stall"} & set(kinds(doubled))
    native = analyse([view(40 + 1.0 * t, 40 + 0.3 * t) for t in range(2 * N)], fps=2 * FPS)
    assert native.signals["repeat_ratio"] == native.signals["fps_deficit"] == 0 and native.signals["jerkiness"] < 0.02
    # A picture shown four times at 60 fps is 15 fps: as laggy as every 2nd frame repeated at 30.
    quadrupled = analyse([f for f in CLEAN[::2] for _ in range(4)], fps=2 * FPS)
    halved = analyse(pan(repeat_every=2))
    for key in ("repeat_ratio", "fps_deficit"):
        assert abs(quadrupled.signals[key] - halved.signals[key]) < 0.05, key
    assert quadrupled.signals["jerkiness"] > 0.5 * halved.signals["jerkiness"] > 0.2
    # 24 fps film in 60 fps (pictures shown 3, 2, 3, 2 ... times) is as smooth as the film.
    film = [view(40 + 2.5 * i, 40 + 0.75 * i) for i in range(96)]
    shown = analyse([f for i, f in enumerate(film) for _ in range(3 if i % 2 == 0 else 2)], fps=2 * FPS)
    assert shown.signals["repeat_ratio"] == shown.signals["freeze_ratio"] == shown.signals["fps_deficit"] == 0
    assert shown.signals["jerkiness"] < 0.05
    assert not {"freeze", "drop", "stall"} & set(kinds(shown))


def test_timestamp_gaps_are_dropped_frames():
    def dropped(n_gaps: int):
        keep = np.ones(N, bool)
        for at in np.linspace(15, N - 15, n_gaps).astype(int) if n_gaps else []:
            keep[at:at + 2] = False  # two frames lost: content and clock both jump
        frames = [f for f, k in zip(CLEAN, keep) if k]
        return analyse(frames, pts=np.arange(N)[keep] / FPS)

    reports = [dropped(n) for n in (0, 2, 4, 8, 16)]
    assert increasing([r.signals["drop_ratio"] for r in reports])
    assert increasing([r.signals["fps_deficit"] for r in reports])
    assert [kinds(r).count("drop") for r in reports] == [0, 2, 4, 8, 16]
    assert all(r.signals["shake_rms"] < 0.001 and r.stalls["count"] == 0 for r in reports)
    # Variable frame rate is not dropping: intervals wander +-20 % around the median.
    jittered = np.cumsum(np.random.default_rng(2).uniform(0.8, 1.2, N)) / FPS
    assert analyse(CLEAN, pts=jittered).signals["drop_ratio"] == 0


def test_losing_most_frames_reads_as_drops_at_the_declared_rate():
    """With 60% of frames lost the median interval is two frames; the declared rate keeps
    the frame step, so the drop ratio keeps rising instead of reading as a lower rate."""
    rng = np.random.default_rng(4)
    ratios = []
    for fraction in (0.1, 0.3, 0.45, 0.6, 0.75):
        keep = rng.random(N) >= fraction
        keep[0] = True
        frames = [f for f, k in zip(CLEAN, keep) if k]
        report = analyse(frames, pts=np.arange(N)[keep] / FPS)
        ratios.append(report.signals["drop_ratio"])
        assert abs(report.signals["drop_ratio"] - (1 - keep.mean())) < 0.05, (fraction, report.signals["drop_ratio"])
    assert increasing(ratios)
    # a stream whose every interval is two frames of the declared rate is a lower rate, not drops
    half = analyse(CLEAN[::2], pts=np.arange(0, N, 2) / FPS)
    assert half.signals["drop_ratio"] == 0


def test_a_stream_made_at_a_low_rate_lags_like_its_dropped_frames():
    """Below 20 fps the frames a smooth rate would show count as missing, however the rate is
    declared: a pan kept at every k-th frame and declared at 30/k fps reads the drops, the
    held pictures and the jerks of the same frames with their 30 fps timestamps."""
    keys = ("drop_ratio", "fps_deficit", "freeze_ratio", "jerkiness")
    for k in (3, 6, 12):  # rates whose frames fall on the 20 fps grid exactly
        low = analyse(CLEAN[::k], fps=FPS / k)
        gapped = analyse(CLEAN[::k], pts=np.arange(0, N, k) / FPS)
        for key in keys:
            assert abs(low.signals[key] - gapped.signals[key]) < 0.05 * max(1.0, gapped.signals[key]), (k, key)
        assert abs(low.signals["drop_ratio"] - (1 - FPS / k / 20)) < 0.05  # missing from 20 fps
        # at 2.5 fps each picture stands 0.4 s, longer than a stall, but that is the stream's
        # cadence: lagging, not rebuffering
        assert low.stalls["count"] == gapped.stalls["count"] == 0
        # a steady low rate is the rate (fps_deficit), not frames dropped from it
        assert "drop" not in kinds(low) and "drop" not in kinds(gapped)


def test_a_low_rate_stream_drops_only_what_its_own_rhythm_misses():
    """At 15, 12 and 3 fps the intervals skip slots of the 20 fps grid: that is the rate, not
    dropped frames. Two pictures lost from the stream's own rhythm are a drop, where they were."""
    for rate in (15, 12, 3):
        times = np.arange(0, 2 * N / FPS, 1 / rate)
        frames = [view(40 + 2.0 * t * FPS / 4, 40 + 0.6 * t * FPS / 4) for t in times]
        steady = analyse(frames, pts=times, fps=float(rate))
        assert "drop" not in kinds(steady), rate
        keep = np.ones(times.size, bool)
        lost_at = times.size // 2
        keep[lost_at : lost_at + 2] = False
        gapped = analyse([f for f, k in zip(frames, keep) if k], pts=times[keep], fps=float(rate))
        drops = [e for e in gapped.events if e.kind == "drop"]
        assert len(drops) == 1, (rate, drops)
        assert drops[0].start - 0.05 <= times[lost_at] and drops[0].end >= times[lost_at + 1], (rate, drops, times[lost_at])


def test_a_slow_streams_lighting_drift_is_no_flicker_and_its_alternation_is():
    """At 3 fps the signal's window (1 s of 20 fps steps) spans 7 s of pairs, so lighting that
    drifts over 2-6 s stayed in its high pass and every such clip read flicker events; the
    events judge 1 s of the stream's own pairs. Brightness alternating frame to frame still flickers."""
    rate = 3.0
    times = np.arange(0, 12, 1 / rate)

    def shown(brightness) -> MotionReport:
        return analyse([view(40 + 2.0 * t * FPS / 4, 40 + 0.6 * t * FPS / 4) * brightness(i, t) for i, t in enumerate(times)],
                       pts=times, fps=rate)

    for period, amplitude in ((2.0, 0.05), (2.0, 0.1), (6.0, 0.05), (6.0, 0.1)):
        drifting = shown(lambda i, t: 1 + amplitude * np.sin(2 * np.pi * t / period))
        assert "flicker" not in kinds(drifting), (period, amplitude)
    alternating = shown(lambda i, t: 1 + 0.05 * (-1) ** i)
    spans = [(e.start, e.end) for e in alternating.events if e.kind == "flicker"]
    assert sum(b - a for a, b in spans) > 0.8 * times[-1], spans


def test_lagging_grows_steadily_as_the_frame_rate_falls():
    """A pan made at 20 down to 3 fps (each declared at its rate): what is missing from 20 fps
    grows with the shortfall, with no step where an interval first reaches 1.5 slots (15
    fps misses every fourth slot, as a quarter of its frames dropped would)."""
    rows = []
    for rate in (20, 18, 15, 12, 10, 6, 3):
        times = np.arange(0, N / FPS, 1 / rate)
        frames = [view(40 + 2.0 * t * FPS, 40 + 0.6 * t * FPS) for t in times]
        rows.append(analyse(frames, fps=float(rate)).signals)
    assert rows[0]["drop_ratio"] == 0 and rows[0]["fps_deficit"] < 0.05
    for key in ("drop_ratio", "fps_deficit", "jerkiness"):
        assert increasing([r[key] for r in rows]), key
    assert abs(rows[2]["drop_ratio"] - 0.25) < 0.03


def test_a_slow_streams_own_interval_is_lagging_and_a_pause_in_it_a_stall():
    """At 3 fps an interval leaves 0.30 s of the 20 fps grid empty, a stall's length: read as
    stalls, a steady 3 fps pan had looked less lagged than at 5 fps. Its cadence is not a
    stall; a picture held three intervals longer still is."""
    def slideshow(rate: float, hold: tuple[int, int] | None = None) -> MotionReport:
        times = np.arange(0, 2 * N / FPS, 1 / rate)
        shown = [min(i, hold[0]) if hold and i < hold[1] else i - (hold[1] - hold[0] if hold else 0) for i in range(len(times))]
        return analyse([view(40 + 2.0 * times[j] * FPS / 4, 40 + 0.6 * times[j] * FPS / 4) for j in shown], pts=times, fps=float(rate))

    steady = {rate: slideshow(rate) for rate in (5, 3, 2)}
    assert all(r.stalls["count"] == 0 and "stall" not in kinds(r) for r in steady.values())
    assert increasing([steady[r].signals["fps_deficit"] for r in (5, 3, 2)])
    paused = slideshow(3, hold=(6, 9))  # the 7th picture stands for 4 intervals, 1.3 s
    assert paused.stalls["count"] == 1 and abs(paused.stalls["longest_seconds"] - 1.0) < 0.1


def test_shake_grows_with_jitter():
    reports = [analyse(pan(jitter=a)) for a in (0.0, 0.5, 1.0, 2.0, 4.0)]
    shake = [r.signals["shake_rms"] for r in reports]
    assert increasing(shake) and shake[0] < 0.001
    assert abs(shake[-1] - 4.0 * math.sqrt(2) / W) < 0.3 * shake[-1]  # ~ the jitter RMS in frame lengths
    assert "shake" in kinds(reports[-1]) and "shake" not in kinds(reports[0])
    assert all(r.signals["scene_cuts"] == 0 and r.signals["flicker_rms"] < 0.002 for r in reports)


def test_a_portrait_copy_moves_as_much_as_its_clip():
    """Motion is measured in frame lengths (the long side), not widths: turning a phone
    must not make the same camera shake read 1.8x stronger."""
    frames = pan(jitter=2.0)
    upright, turned = analyse(frames), analyse([np.ascontiguousarray(np.rot90(f)) for f in frames])
    for name in ("shake_rms", "global_speed"):
        assert turned.signals[name] == pytest.approx(upright.signals[name], rel=0.1), name


@pytest.mark.parametrize("waveform", ["sine", "random"])
def test_flicker_grows_with_brightness_modulation(clean, waveform):
    rng = np.random.default_rng(3)
    t = np.arange(N) / FPS
    wave = np.sin(2 * np.pi * 4.0 * t) if waveform == "sine" else rng.uniform(-1, 1, N)
    amplitudes = (0.0, 0.02, 0.04, 0.08, 0.16)
    reports = [analyse([f * (1 + a * w) for f, w in zip(CLEAN, wave)]) for a in amplitudes]
    flicker = [r.signals["flicker_rms"] for r in reports]
    assert increasing(flicker)
    rms = float(np.sqrt(np.mean(wave ** 2)))
    assert abs(flicker[-1] - 0.16 * rms) < 0.2 * 0.16 * rms  # reads the relative amplitude
    if waveform == "random":
        assert increasing([r.signals["flicker_alternation"] for r in reports])
    assert "flicker" in kinds(reports[-1])
    for r in reports:
        assert r.signals["scene_cuts"] == 0 and r.stalls["count"] == 0 and r.signals["shake_rms"] < 0.001
        assert abs(r.signals["motion_mean"] - clean.signals["motion_mean"]) < 0.1  # brightness is not motion


def test_slow_light_changes_are_not_flicker():
    fade = analyse([f * max(0.0, min(1.0, (110 - i) / 45)) for i, f in enumerate(CLEAN)])
    step = analyse([f * (1.3 if i >= 60 else 1.0) for i, f in enumerate(CLEAN)])
    for r in (fade, step):
        assert r.signals["flicker_rms"] < 0.002 and r.signals["scene_cuts"] == 0


def test_temporal_noise_grows_with_noise():
    rng = np.random.default_rng(4)
    sigmas = (0, 2, 4, 8, 16)
    reports = [analyse([f + rng.normal(0, s, (H, W)) for f in CLEAN]) for s in sigmas]
    noise = [r.signals["temporal_noise"] for r in reports]
    assert increasing(noise)
    for sigma, value in zip(sigmas[1:], noise[1:]):
        assert abs(value - sigma) < 0.15 * sigma  # reads sigma in 0-255 units
    assert all(r.stalls["count"] == 0 and r.signals["scene_cuts"] == 0 for r in reports)
    assert all(r.signals["shake_rms"] < 0.002 and r.signals["flicker_rms"] < 0.003 for r in reports)


def test_scene_cut_is_found_and_excluded(clean):
    frames = CLEAN[:60] + [view(40 + 2.0 * i, 40 + 0.6 * i, scene=1) for i in range(60, N)]
    report = analyse(frames)
    assert report.signals["scene_cuts"] == 1
    (cut,) = [e for e in report.events if e.kind == "scene_cut"]
    assert abs(cut.end - 60 / FPS) < 1e-6
    assert kinds(report) == ["scene_cut"]
    assert report.signals["flicker_rms"] < clean.signals["flicker_rms"] + 0.001
    assert report.signals["shake_rms"] < clean.signals["shake_rms"] + 0.001
    assert report.signals["jerkiness"] < 0.02 and report.stalls["count"] == 0


def test_subject_motion_is_not_camera_shake():
    """A high-contrast subject (covering at most 2 of the 3x3 tiles the camera motion is voted
    on) bouncing over a still background: the camera did not move."""
    background = view(40, 40)

    def frame(i: int) -> np.ndarray:
        x = abs((10 + 6 * i) % 284 - 142) + 10  # bounces between the edges
        image = background.copy()
        cv2.rectangle(image, (x, 40), (x + 40, 70), 240.0, -1)
        return image

    report = analyse([frame(i) for i in range(N)])
    assert report.signals["global_speed"] < 0.01 and report.signals["shake_rms"] < 0.001


def test_pts_default_to_nominal_rate():
    assert abs(analyse(pan(50), fps=25.0).signals["duration"] - 2.0) < 1e-6
    assert abs(analyse(pan(60), fps=None).signals["duration"] - 2.0) < 1e-6  # 30 fps assumed
    with pytest.raises(ValueError):
        MotionAnalyzer(30.0).update(np.zeros((H, W), np.float32), 0.0)


def test_deterministic():
    frames = pan(60, jitter=1.0)
    assert analyse(frames) == analyse(frames)


def test_state_is_constant_but_a_few_floats_per_frame():
    frames = [np.clip(f, 0, 255).astype(np.uint8) for f in pan(40, jitter=1.0)]
    analyzer = MotionAnalyzer(FPS)
    for frame in frames[:20]:
        analyzer.update(frame, None)
    arrays = {k: v.nbytes for k, v in vars(analyzer).items() if isinstance(v, np.ndarray)}
    tracemalloc.start()
    for i in range(300):
        analyzer.update(frames[i % len(frames)], None)
        if i == 49:
            before = tracemalloc.get_traced_memory()[0]
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown / 250 < 8 * 8 * 2  # bytes per frame: eight float64 series, with room for array growth
    assert arrays == {k: v.nbytes for k, v in vars(analyzer).items() if isinstance(v, np.ndarray)}


@pytest.mark.parametrize("n, window", [(3, 3), (10, 5), (60, 11), (26, 25)])
def test_local_quadratic_is_scipys_savitzky_golay(n, window):
    from scipy.signal import savgol_filter

    from finevq.signals.motion import local_quadratic

    y = np.cumsum(np.random.default_rng(n).normal(size=(n, 2)), axis=0)
    assert np.allclose(local_quadratic(y, window), savgol_filter(y, window, 2, axis=0, mode="interp"), rtol=0, atol=1e-9)
