"""Writing synthetic clips to real video files, streaming, with PyAV."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .content import iter_clip
from .distortions import distort


def write_video(
    path: str | os.PathLike,
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    pts: list[float] | None = None,
    codec: str = "libx264",
    crf: int | None = 16,
    pix_fmt: str = "yuv420p",
    preset: str | None = "veryfast",
    extra: dict | None = None,
) -> Path:
    """Encode RGB uint8 frames as they arrive; returns the path.

    pts (seconds, one per frame) give irregular timing, e.g. the gaps of dropped frames;
    pts[i] is read only after frame i is drawn, so a list that fills while `frames` is
    consumed (see `Distorted`) works. Timestamps use a time base of 1/lcm(fps numerator,
    1000): exact on the frame grid and at least millisecond-fine off it.

    crf and preset go to the encoder as options (None leaves one out, for codecs without
    it), `extra` adds more. With chroma subsampling (yuv420p) a side of odd length is a
    ValueError rather than padded: padding would change the picture every consumer sees.
    """
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError("no frames to write")
    height, width = first.shape[:2]
    _check_size(width, height, pix_fmt)
    rate = Fraction(fps).limit_denominator(1001)
    time_base = Fraction(1, math.lcm(rate.numerator, 1000))
    options = {k: str(v) for k, v in {"crf": crf, "preset": preset, **(extra or {})}.items() if v is not None}
    path = Path(path)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = options
        stream.codec_context.time_base = time_base
        for i, image in enumerate(itertools.chain([first], frames)):
            if image.shape != first.shape:
                raise ValueError(f"frame {i} is {image.shape}, frame 0 was {first.shape}")
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            seconds = Fraction(pts[i]) if pts is not None else i / rate
            frame.pts, frame.time_base = round(seconds / time_base), time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def _check_size(width: int, height: int, pix_fmt: str) -> None:
    probe = av.VideoFormat(pix_fmt, 2, 2)  # a chroma plane 1 px wide/high means 2x subsampling
    if (width % 2 and any(c.width == 1 for c in probe.components)) or (height % 2 and any(c.height == 1 for c in probe.components)):
        raise ValueError(f"{pix_fmt} subsamples chroma by 2, so {width}x{height} frames need even sides; crop or resize them")


def make_test_video(
    path: str | os.PathLike,
    *,
    distortion: str | None = None,
    level: int = 0,
    width: int = 480,
    height: int = 270,
    seconds: float = 3.0,
    fps: float = 24,
    seed: int = 0,
) -> Path:
    """Synthetic content, optionally distorted, written to `path`.

    No distortion (or level 0) gives the clean reference, encoded at CRF 16 so the
    encoder adds nothing visible; an "encode" distortion replaces the CRF with its own.
    """
    frames = iter_clip(width, height, seconds, fps, seed)
    if distortion is None:
        return write_video(path, frames, fps)
    d = distort(frames, fps, distortion, level, seed)
    return write_video(path, d.frames, fps, pts=d.pts, **{"crf": 16, **d.encode})
