"""The fast assessor: one decode pass feeds the spatial path (8 sampled frames plus one frame
per second, full resolution), the EfficientNet-Lite0 features and the motion path (every
frame, small luma); the heads turn the signals into the six dimensions.

`measure` is the expensive part and is kept separate from `predict`, so training can cache
measurements and refit heads without decoding again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..backbone import prepare_frame
from ..describe import describe
from ..heads import Heads, Prediction, load_default_heads
from ..io import Limits, decode_frames, open_video, plan_sampling
from ..io.decode import DecodeStats
from ..io.probe import count_duration
from ..schema import Assessment, Event, ModelInfo, StallSummary, Timeline, VideoInfo, dimension_result
from ..signals.motion import MotionAnalyzer, MotionReport
from ..signals.spatial import spatial_signals
from ..taxonomy import DIMENSIONS, Dimension, distortion
from . import register
from .base import Assessor

#: Below this many frames there is no motion to measure.
MIN_MOTION_FRAMES = 3


@dataclass
class Measurement:
    """Everything finevq measures about a video, before any head interprets it."""

    info: VideoInfo
    frame_signals: list[dict[str, float]]
    second_signals: dict[int, dict[str, float]]
    motion: MotionReport | None
    deep: np.ndarray | None
    unmeasured: list[str] = field(default_factory=list)

    def video_signals(self) -> dict[str, float]:
        """Video-level signals: spatial ones averaged over the sampled frames, plus motion."""
        keys = self.frame_signals[0].keys() if self.frame_signals else ()
        pooled = {k: float(np.mean([s[k] for s in self.frame_signals])) for k in keys}
        if self.motion is not None:
            pooled.update(self.motion.signals)
        return pooled


def _warm_backbone() -> None:
    from ..backbone import load_backbone

    load_backbone()


def measure(path: str, limits: Limits = Limits(), deep: bool = True) -> Measurement:
    """Decode once and measure everything. Torch and the backbone load in a thread meanwhile,
    so their start-up cost hides behind decoding instead of adding to it."""
    warm = threading.Thread(target=_warm_backbone, daemon=True) if deep else None
    if warm:
        warm.start()
    with open_video(path, limits) as source:
        info = source.info
        duration = info.duration or (source.expected_frames / info.fps if source.expected_frames and info.fps else None)
        duration = duration or count_duration(path, info.fps) or 1.0
        plan = plan_sampling(duration)
        stats = DecodeStats()
        analyzer = MotionAnalyzer(info.fps)
        frame_signals: dict[int, dict[str, float]] = {}
        second_signals: dict[int, dict[str, float]] = {}
        crops: list[np.ndarray] = []
        for frame in decode_frames(source, plan, stats):
            analyzer.update(frame.luma, frame.time)
            if frame.rgb is None:
                continue
            signals = spatial_signals(frame.rgb)
            second_signals.setdefault(int(frame.time), signals)
            if frame.sample_slot is not None:
                frame_signals[frame.sample_slot] = signals
                if deep:
                    crops.append(prepare_frame(frame.rgb))
        if not frame_signals:  # fewer frames than planned (short or mis-declared stream)
            frame_signals = {0: next(iter(second_signals.values()))} if second_signals else {}
        if not frame_signals:
            raise ValueError("no frame reached the spatial path")
        notes = []
        if stats.damaged:
            notes.append(f"decode: {stats.damaged}; the frames before it were assessed")
        motion = analyzer.finish() if stats.frames >= MIN_MOTION_FRAMES else None
        if motion is None:
            notes.append(f"temporal: {stats.frames} frame(s) hold no motion to measure; temporal scored as undistorted")
        rotated = stats.rotation in (90, 270)
        info = info.model_copy(
            update={
                "frame_count": stats.frames,
                "rotation": stats.rotation,
                "interlaced": stats.interlaced,
                "variable_frame_rate": stats.intervals_irregular,
                "width": info.height if rotated else info.width,
                "height": info.width if rotated else info.height,
                "duration": round(info.duration if info.duration else stats.last_time + (1 / info.fps if info.fps else 0), 4),
            }
        )
        deep_mean = None
        if warm and crops:
            from ..backbone import deep_features

            warm.join()
            deep_mean = deep_features(crops).mean(axis=0)
        return Measurement(
            info=info,
            frame_signals=[frame_signals[k] for k in sorted(frame_signals)],
            second_signals=second_signals,
            motion=motion,
            deep=deep_mean,
            unmeasured=notes,
        )


def _spatial(type_name: str) -> bool:
    return distortion(type_name).path == "spatial"


class FastAssessor(Assessor):
    """Signals + shipped heads. Deterministic: the same file gives the same numbers, bit for bit."""

    def __init__(self, heads: Heads | None = None, limits: Limits = Limits(), deep_features: bool = True):
        self.heads = heads or load_default_heads()
        self.limits = limits
        self.deep_features = deep_features
        self.model_info = ModelInfo(name="finevq-fast", version=f"{__version__}+heads.{self.heads.version}")

    def _assess(self, path: str) -> Assessment:
        return self.predict(path, measure(path, self.limits, deep=self.deep_features))

    def _prediction(self, frame_signals: list[dict[str, float]], motion_signals: dict[str, float] | None) -> Prediction:
        """Spatial penalties are judged per frame and averaged (VMAF-style pooling); motion ones once."""
        per_frame = [self.heads.type_penalties(s) for s in frame_signals]
        pooled: dict[str, float] = {}
        for name in {t for p in per_frame for t in p if _spatial(t)}:
            pooled[name] = float(np.mean([p.get(name, 0.0) for p in per_frame]))
        if motion_signals:
            pooled.update({t: p for t, p in self.heads.type_penalties(motion_signals).items() if not _spatial(t)})
        return self.heads.combine(pooled)

    def predict(self, path: str, m: Measurement) -> Assessment:
        motion_signals = m.motion.signals if m.motion else None
        prediction = self._prediction(m.frame_signals, motion_signals)
        dimensions = {
            dim: dimension_result(dim, prediction.scores[dim], prediction.distortions.get(dim)) for dim in DIMENSIONS
        }
        timeline = self._timeline(m)
        stalls = StallSummary(**_stall_fields(m.motion)) if m.motion else None
        assessment = Assessment(
            video=path,
            model=self.model_info,
            info=m.info,
            dimensions=dimensions,
            most_impactful=prediction.most_impactful,
            timeline=timeline,
            stalls=stalls,
            unmeasured=m.unmeasured,
            signals={k: round(v, 6) for k, v in sorted(m.video_signals().items())},
        )
        assessment.description = describe(assessment)
        return assessment

    def _timeline(self, m: Measurement) -> Timeline:
        n = max(1, int(np.ceil((m.info.duration or 0) - 1e-6)), max(m.second_signals, default=0) + 1)
        scores: dict[Dimension, list[float | None]] = {d: [] for d in DIMENSIONS}
        known = sorted(m.second_signals)
        for second in range(n):
            nearest = min(known, key=lambda s: (abs(s - second), s))
            motion = m.motion.per_second[second] if m.motion and second < len(m.motion.per_second) else None
            if motion is not None and "longest_stall" not in motion:
                # within one second, the stalled time is the longest stall that second shows
                motion = {**motion, "longest_stall": motion.get("stall_seconds", 0.0)}
            prediction = self._prediction([m.second_signals[nearest]], motion)
            for dim in DIMENSIONS:
                scores[dim].append(round(prediction.scores[dim], 2))
        events = [Event(kind=e.kind, start=round(e.start, 3), end=round(e.end, 3)) for e in (m.motion.events if m.motion else [])]
        return Timeline(seconds=[float(s) for s in range(n)], scores=scores, events=events)


def _stall_fields(motion: MotionReport) -> dict:
    s = motion.stalls
    return {
        "count": int(s.get("count", 0)),
        "total_seconds": round(float(s.get("total_seconds", 0.0)), 3),
        "longest_seconds": round(float(s.get("longest_seconds", 0.0)), 3),
        "share": round(float(min(1.0, max(0.0, s.get("share", 0.0)))), 4),
    }


@register("fast")
def _create(argument: str | None = None, **options) -> FastAssessor:
    heads = None
    if argument:
        from pathlib import Path

        location = Path(argument)
        heads = Heads.load(location / "heads.json" if location.is_dir() else location)
    return FastAssessor(heads=heads, **options)
