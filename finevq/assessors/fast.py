"""The fast assessor: one decode pass feeds the spatial path (8 sampled frames at full
resolution, and one frame per second at timeline size), the EfficientNet-Lite0 features and
the motion path (every frame, small luma); the heads turn the signals into the six dimensions.

`measure` is the expensive part and is kept separate from `predict`, so training can cache
measurements and refit heads without decoding again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..backbone import prepare_frame
from ..describe import describe
from ..heads import Heads, Prediction, load_default_heads
from ..heads.learned import LearnedHeads, load_default_learned
from ..io import Limits, decode_frames, open_video, plan_sampling
from ..io.decode import DecodeStats
from ..io.framing import picture_box
from ..schema import Assessment, DetectedDistortion, Event, ModelInfo, StallSummary, Timeline, VideoInfo, dimension_result
from ..signals.motion import MotionAnalyzer, MotionReport
from ..signals.spatial import at_most_lines, signals_and_glance, spatial_signals
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, SEVERITY_LEVELS, Dimension, distortion, level_index
from . import register
from .base import Assessor
from .process import tune_for_measuring

#: A type is reported when the learned classifier gives it at least this probability.
TYPE_THRESHOLD = 0.5
#: ... and a dimension scored at this level index or worse (2: mild / fair) always names its
#: most probable type. Measured on held-out sources: "which type" 57% -> 62%, yes/no accuracy
#: within a point of the threshold alone; from level 1 on, yes/no fell up to 23 points.
NAME_A_CAUSE_FROM_LEVEL = 2
#: Motion thumbnails queued for the motion thread at most (a few hundred KiB).
MOTION_BACKLOG = 16
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


def measure(path: str, limits: Limits = Limits(), deep: bool = True, timeline_signals: Collection[str] | None = None) -> Measurement:
    """Decode once and measure everything.

    The decode loop only hands frames on. Each frame's motion work runs on a motion thread
    (in order, at most MOTION_BACKLOG behind), a sampled frame's spatial signals and
    backbone crop on a helper thread, and the backbone on a thread of its own
    (`BackgroundFeatures`): their heavy parts are C code that releases the GIL, so they use
    the cores the decoder leaves idle instead of queueing behind it (the motion thread took
    ~10% off a 10 s 1080p assess). Results are gathered in decode order, so they are the
    same as when everything ran in turn.

    `timeline_signals` limits the per-second frames to the signals the timeline's heads
    read (all when None). Every frame the spatial path reads loses its letterbox or
    pillarbox bars first (`io.framing`), the backbone's crop too."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    from ..backbone import BackgroundFeatures

    last_box: tuple[int, int, int, int] | None = None  # the helper runs frames one at a time, in decode order

    def sampled(rgb: np.ndarray, slot: bool, second: bool, crop: bool) -> tuple[dict | None, dict | None, np.ndarray | None, tuple]:
        nonlocal last_box
        box = last_box = picture_box(rgb, last_box)
        rgb = np.ascontiguousarray(rgb[box[0] : box[1], box[2] : box[3]])
        # The timeline's frames (one per second) are read whole at the picture size
        # (spatial.PICTURE_LINES), noise and artifacts too (the sampled frames read those on native
        # pixels): the monotone heads that shape the timeline were fitted on clips this size, and a
        # full 1080p frame per second cost as much CPU as decoding 20 frames. A sampled frame that
        # is also its second's timeline frame shares the scaled picture and its blur and colour
        # signals (`signals_and_glance`). The backbone's crop is cut from that picture too: the
        # heads learned the deep features of clips this size, and a 1080p frame's own 224-px
        # resize cost 8.8 ms of CPU against 1.6 ms from the picture.
        picture = at_most_lines(rgb)
        if slot and second:
            signals, glance = signals_and_glance(rgb, timeline_signals, picture=picture)
        else:
            signals = spatial_signals(rgb, picture=picture) if slot else None
            glance = spatial_signals(picture, timeline_signals) if second else None
        return signals, glance, prepare_frame(picture) if crop else None, box

    with open_video(path, limits) as source, ThreadPoolExecutor(1, "finevq-spatial") as helper, ThreadPoolExecutor(1, "finevq-motion") as mover:
        features = BackgroundFeatures() if deep else None
        try:
            info = source.info
            plan = plan_sampling(source.planning_duration())
            stats = DecodeStats()
            analyzer = MotionAnalyzer(source.frame_rate)
            frame_signals: dict[int, dict[str, float]] = {}
            second_signals: dict[int, dict[str, float]] = {}
            # (second, sample slot, helper's result) per planned frame, in decode order; at
            # most two in flight, so full-resolution frames cannot pile up in memory
            pending: deque[tuple[int, int | None, Future]] = deque()
            claimed: set[int] = set()  # seconds whose timeline frame is already on its way
            boxes: list[tuple[int, int, int, int]] = []  # the picture inside any bars, per sampled frame

            def settle() -> None:
                second, slot, result = pending.popleft()
                signals, glance, crop, box = result.result()
                if glance is not None:
                    second_signals[second] = glance
                if slot is not None:
                    frame_signals[slot] = signals
                    boxes.append(box)
                    if features:
                        features.add(crop)

            moving: deque[Future] = deque()
            for frame in decode_frames(source, plan, stats):
                moving.append(mover.submit(analyzer.update, frame.luma, frame.time))
                if len(moving) > MOTION_BACKLOG:
                    moving.popleft().result()
                if frame.rgb is None:
                    continue
                if len(pending) == 2:
                    settle()
                second = int(frame.time)
                slot = frame.sample_slot is not None
                pending.append((second, frame.sample_slot, helper.submit(sampled, frame.rgb, slot, second not in claimed, slot and features is not None)))
                claimed.add(second)
            while pending:
                settle()
            while moving:
                moving.popleft().result()
            if not frame_signals:  # fewer frames than planned (short or mis-declared stream): the timeline's frame stands in
                frame_signals = {0: next(iter(second_signals.values()))} if second_signals else {}
            if not frame_signals:
                raise ValueError("no frame reached the spatial path")
        except BaseException:
            if features:
                features.cancel()
            raise
        notes = []
        bars = _bars_note(boxes)
        if bars:
            notes.append(bars)
        if stats.damaged:
            notes.append(f"decode: {stats.damaged}; the frames before it were assessed")
        motion = analyzer.finish() if stats.frames >= MIN_MOTION_FRAMES else None
        if motion is None:
            notes.append(f"temporal: {stats.frames} frame(s) hold no motion to measure; temporal scored as undistorted")
        return Measurement(
            info=stats.corrected(info, stats.last_time + (1 / info.fps if info.fps else 0)),
            frame_signals=[frame_signals[k] for k in sorted(frame_signals)],
            second_signals=second_signals,
            motion=motion,
            deep=features.mean() if features else None,
            unmeasured=notes,
        )


def _bars_note(boxes: list[tuple[int, int, int, int]]) -> str | None:
    """Says which bars were left out, when most sampled frames had them."""
    framed = [b for b in boxes if b[0] > 0 or b[2] > 0]
    if len(framed) * 2 <= len(boxes):
        return None
    top, bottom, left, right = max(set(framed), key=framed.count)
    kind = "letterbox" if top > 0 else "pillarbox"
    inside = f"{right - left}x{bottom - top}"
    return f"{kind} bars: the spatial signals read the {inside} picture inside them"


def _spatial(type_name: str) -> bool:
    return distortion(type_name).path == "spatial"


class FastAssessor(Assessor):
    """Signals + shipped heads. Deterministic: the same file gives the same numbers, bit for bit.

    With learned heads (the default when the package ships them) the six scores and the
    distortion types come from the learned network; the monotone heads still give the
    per-second shape of the timeline, shifted to agree with the learned video score.

    Creating one tunes the process for measuring: OpenCV on one thread, and glibc keeping
    freed memory for the next frame's temporaries (`process.tune_for_measuring`).
    """

    def __init__(self, heads: Heads | None = None, limits: Limits = Limits(), deep_features: bool = True, learned: LearnedHeads | None = None):
        if heads is None and learned is None:
            learned = load_default_learned()
        self.learned = learned
        self.heads = heads or (learned.monotone if learned else load_default_heads())
        self.limits = limits
        self.deep_features = deep_features
        tune_for_measuring()
        version = learned.version if learned else self.heads.version
        self.model_info = ModelInfo(name="finevq-fast", version=f"{__version__}+heads.{version}")

    def _assess(self, path: str) -> Assessment:
        return self.predict(path, measure(path, self.limits, deep=self.deep_features, timeline_signals=self.heads.signal_names))

    def _prediction(self, frame_signals: list[dict[str, float]], motion_signals: dict[str, float] | None) -> Prediction:
        """Spatial penalties are judged per frame and averaged (VMAF-style pooling); motion ones once."""
        per_frame = [self.heads.type_penalties(s) for s in frame_signals]
        pooled: dict[str, float] = {}
        for name in {t for p in per_frame for t in p if _spatial(t)}:
            pooled[name] = float(np.mean([p.get(name, 0.0) for p in per_frame]))
        if motion_signals:
            pooled.update({t: p for t, p in self.heads.type_penalties(motion_signals).items() if not _spatial(t)})
        return self.heads.combine(pooled)

    def judge(self, video_signals: dict[str, float], deep: np.ndarray | None) -> Judgement:
        """The learned heads' verdict from video-level signals and deep features (also what
        `finevq evaluate` runs on cached features, so cache and file agree)."""
        if self.learned is None:
            raise RuntimeError("judge needs learned heads")
        vector = self.learned.signals_vector(video_signals)[None, :]
        deep = None if deep is None else deep[None, :]
        scores = self.learned.scores(vector, deep)[0]
        probabilities = self.learned.type_probabilities(vector, deep)[0] if self.learned.classifiers else []
        return Judgement.of(scores, dict(zip(self.learned.type_names, probabilities)))

    def predict(self, path: str, m: Measurement) -> Assessment:
        motion_signals = m.motion.signals if m.motion else None
        if self.learned is not None:
            verdict = self.judge(m.video_signals(), m.deep)
            scores, found, most = verdict.scores, verdict.distortions, verdict.most_impactful
        else:
            prediction = self._prediction(m.frame_signals, motion_signals)
            scores, found, most = prediction.scores, prediction.distortions, prediction.most_impactful
        dimensions = {dim: dimension_result(dim, scores[dim], found.get(dim)) for dim in DIMENSIONS}
        timeline = self._timeline(m, scores)
        stalls = StallSummary(**_stall_fields(m.motion)) if m.motion else None
        assessment = Assessment(
            video=path,
            model=self.model_info,
            info=m.info,
            dimensions=dimensions,
            most_impactful=most,
            timeline=timeline,
            stalls=stalls,
            unmeasured=m.unmeasured,
            signals={k: round(v, 6) for k, v in sorted(m.video_signals().items())},
        )
        assessment.description = describe(assessment)
        return assessment

    def _timeline(self, m: Measurement, video_scores: Mapping[Dimension, float]) -> Timeline:
        """The monotone heads' verdict on each second, shifted so that its mean is the
        video's score: the shape says when quality drops, the video score how far."""
        n = max(1, int(np.ceil((m.info.duration or 0) - 1e-6)), max(m.second_signals, default=0) + 1)
        raw: dict[Dimension, list[float]] = {d: [] for d in DIMENSIONS}
        known = sorted(m.second_signals)
        for second in range(n):
            nearest = min(known, key=lambda s: (abs(s - second), s))
            motion = m.motion.per_second[second] if m.motion and second < len(m.motion.per_second) else None
            if motion is not None and "longest_stall" not in motion:
                # within one second, the stalled time is the longest stall that second shows
                motion = {**motion, "longest_stall": motion.get("stall_seconds", 0.0)}
            prediction = self._prediction([m.second_signals[nearest]], motion)
            for dim in DIMENSIONS:
                raw[dim].append(prediction.scores[dim])
        shifts = {dim: video_scores[dim] - float(np.mean(series)) for dim, series in raw.items()}
        scores = {dim: [round(float(np.clip(v + shifts[dim], 0.0, 100.0)), 2) for v in series] for dim, series in raw.items()}
        events = [Event(kind=e.kind, start=round(e.start, 3), end=round(e.end, 3)) for e in (m.motion.events if m.motion else [])]
        return Timeline(seconds=[float(s) for s in range(n)], scores=scores, events=events)


@dataclass
class Judgement:
    """Six scores and the types reported, before they become an Assessment."""

    scores: dict[Dimension, float]
    distortions: dict[Dimension, list[DetectedDistortion]]

    @classmethod
    def of(cls, scores: Sequence[float], probabilities: Mapping[str, float]) -> "Judgement":
        """Scores in DIMENSIONS order; types at or above TYPE_THRESHOLD are reported, most
        probable first, with the severity their dimension's score band says. A dimension
        scored mild (fair) or worse always names a cause: when no type reaches the
        threshold, its most probable type is reported, with that (low) probability as the
        confidence, so the attribution does not contradict the score. For the same reason a
        dimension in the best band (undistorted / excellent) reports none."""
        by_dim = {d: float(v) for d, v in zip(DIMENSIONS, scores)}
        found: dict[Dimension, list[DetectedDistortion]] = {d: [] for d in DISTORTION_DIMENSIONS}
        best: dict[Dimension, tuple[str, float]] = {}
        for name, p in sorted(probabilities.items(), key=lambda kv: (-kv[1], kv[0])):
            dim = distortion(name).dimension
            best.setdefault(dim, (name, p))
            if p >= TYPE_THRESHOLD and level_index(by_dim[dim]) > 0:
                found[dim].append(cls._detected(name, p, by_dim[dim]))
        for dim, (name, p) in best.items():
            if not found[dim] and level_index(by_dim[dim]) >= NAME_A_CAUSE_FROM_LEVEL:
                found[dim].append(cls._detected(name, p, by_dim[dim]))
        return cls(by_dim, found)

    @staticmethod
    def _detected(name: str, probability: float, score: float) -> DetectedDistortion:
        severity = SEVERITY_LEVELS[max(1, level_index(score))]
        return DetectedDistortion(type=name, severity=severity, confidence=round(float(probability), 3))

    def assessment(self, video: str, model: ModelInfo) -> Assessment:
        """A bare assessment (no timeline or facts) for evaluating cached features."""
        dimensions = {d: dimension_result(d, self.scores[d], self.distortions.get(d)) for d in DIMENSIONS}
        return Assessment(video=video, model=model, dimensions=dimensions, most_impactful=self.most_impactful)

    @property
    def most_impactful(self) -> Dimension | None:
        worst = min(DISTORTION_DIMENSIONS, key=lambda d: (self.scores[d], DISTORTION_DIMENSIONS.index(d)))
        return worst if level_index(self.scores[worst]) > 0 else None


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
    if not argument:
        return FastAssessor(**options)
    from pathlib import Path

    location = Path(argument)
    if (location / "learned.json").exists():
        return FastAssessor(learned=LearnedHeads.load(location), **options)
    return FastAssessor(heads=Heads.load(location / "heads.json" if location.is_dir() else location), **options)
