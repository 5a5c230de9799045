"""One decode per video for the LMM: keyframes for the vision tower, every frame for the motion encoder.

The decode is finevq.io's single streaming pass: the keyframe times become the sampling
plan's targets (full-resolution RGB only there) and the motion path takes the small luma
the decoder makes of every frame anyway. Motion frames are therefore grey, replicated to
three channels: the motion encoder is there for what changes between frames, colour is the
spatial path's job. Frames are resized as they arrive, so memory stays at the model's
input size, not the video's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from ..errors import AssessmentError
from ..io import Limits, SamplingPlan, decode_frames, open_video, plan_sampling
from ..io.decode import DecodeStats
from ..schema import VideoInfo
from .config import LMMConfig


@dataclass
class Clip:
    keyframes: np.ndarray  # (F, S, S, 3) uint8
    keyframe_times: list[float]
    motion: np.ndarray | None  # (T, m, m) uint8, None when the model has no motion path
    motion_times: list[float]
    info: VideoInfo
    notes: list[str] = field(default_factory=list)


def keyframe_times(duration: float, config: LMMConfig) -> tuple[float, ...]:
    """Uniform samples (FineVQ), or the middle of every second (VQA²) until there are too many."""
    seconds = max(1, math.ceil(duration - 1e-6))
    if config.frames == "uniform" or seconds > config.max_keyframes:
        return plan_sampling(duration, config.num_frames if config.frames == "uniform" else config.max_keyframes).sample_times
    return tuple(min(s + 0.5, (s + duration) / 2) for s in range(seconds))


def _resize(image: np.ndarray, side: int) -> np.ndarray:
    shrink = max(image.shape[:2]) > side
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def read_clip(path: str, config: LMMConfig, limits: Limits = Limits()) -> Clip:
    motion_on = config.motion.enabled
    with open_video(path, limits) as source:
        info = source.info
        duration = source.planning_duration()
        times = keyframe_times(duration, config)
        stats = DecodeStats()
        # keep at most about max_frames motion frames while decoding; trimmed exactly below
        stride = max(1, math.ceil((source.expected_frames or 0) / config.motion.max_frames))
        slots: dict[int, np.ndarray] = {}
        motion, motion_times = [], []
        for frame in decode_frames(source, SamplingPlan(sample_times=times, second_times=()), stats):
            if frame.sample_slot is not None:
                slots[frame.sample_slot] = _resize(frame.rgb, config.image_size)
            if motion_on and frame.index % stride == 0:
                motion.append(_resize(frame.luma, config.motion.size))
                motion_times.append(frame.time)
    if not slots:
        raise AssessmentError("decode_failed", "no frame reached the sampled times")
    filled = sorted(slots)
    # a short or mis-declared stream can end before some sampled times: reuse the nearest frame
    keyframes = np.stack([slots[min(filled, key=lambda s: (abs(s - i), s))] for i in range(len(times))])
    if len(motion) > config.motion.max_frames:
        keep = np.linspace(0, len(motion) - 1, config.motion.max_frames).round().astype(int)
        motion, motion_times = [motion[i] for i in keep], [motion_times[i] for i in keep]
    notes = [f"decode: {stats.damaged}; the frames before it were assessed"] if stats.damaged else []
    return Clip(keyframes, list(times), np.stack(motion) if motion_on else None, motion_times, stats.corrected(info, duration), notes)


def pixel_values(clip: Clip, config: LMMConfig) -> torch.Tensor:
    """(F, 3, S, S) float, normalised as the tower was trained."""
    x = torch.from_numpy(clip.keyframes).permute(0, 3, 1, 2).float() / 255.0
    mean, std = torch.tensor(config.image_mean).view(1, 3, 1, 1), torch.tensor(config.image_std).view(1, 3, 1, 1)
    return (x - mean) / std


def motion_values(clip: Clip, config: LMMConfig) -> torch.Tensor | None:
    """(3, T, m, m) float: grey frames in SlowFast's normalisation."""
    if clip.motion is None:
        return None
    x = torch.from_numpy(clip.motion).float() / 255.0
    x = (x - config.motion.mean) / config.motion.std
    return x.unsqueeze(0).expand(3, -1, -1, -1).contiguous()


def motion_token_times(clip: Clip, config: LMMConfig) -> list[float]:
    """The time of each motion token: the fast path takes every (τ/α)-th frame."""
    return clip.motion_times[:: config.motion.fast_stride] if clip.motion is not None else []
