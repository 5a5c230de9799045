"""Open a file, check it is an assessable video, and read its technical facts.

Every way a file can be unusable is turned into an `AssessmentError` with a stable code
here, before any analysis starts, so callers never see a PyAV traceback.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from ..errors import AssessmentError
from ..schema import VideoInfo

# First bytes of the containers a camera or platform produces; used to tell a damaged
# video ("truncated") from something that never was one ("not_a_video").
_SIGNATURES = (
    (4, b"ftyp"),  # MP4 / MOV / 3GP
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"wide"),
    (0, b"\x1a\x45\xdf\xa3"),  # Matroska / WebM
    (0, b"RIFF"),  # AVI
    (0, b"\x00\x00\x01\xba"),  # MPEG-PS
    (0, b"\x47"),  # MPEG-TS sync byte (checked again at 188)
    (0, b"FLV"),
    (0, b"OggS"),
)


def looks_like_container(head: bytes) -> bool:
    for offset, magic in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"\x47":
                return len(head) > 188 and head[188:189] == b"\x47"
            return True
    return False


@dataclass(frozen=True)
class Limits:
    """What finevq agrees to measure; outside these a video fails with too_small / too_large."""

    min_side: int = 32
    max_pixels: int = 8192 * 8192
    max_duration: float = 6 * 3600.0


@dataclass
class VideoSource:
    """An opened, validated video: the container stays open for the single decode pass.

    The facts (`info`, `frame_rate`, `expected_frames`) are plain values, read at opening:
    touching a PyAV stream after its container closed crashes the interpreter (a
    segmentation fault, not an exception), so after `close` only they remain usable."""

    path: str
    container: av.container.InputContainer
    stream: av.video.stream.VideoStream
    info: VideoInfo
    expected_frames: int | None
    #: The rate the stream is meant to play at (FFmpeg's r_frame_rate), not the average of
    #: the frames it holds (`info.fps`): a stream that lost half its frames keeps the first
    #: and halves the second, and the motion path must tell drops from a lower rate.
    frame_rate: float | None = field(init=False)

    def __post_init__(self) -> None:
        rates = (float(r) for r in (self.stream.guessed_rate, self.stream.base_rate) if r and 0.1 <= float(r) <= 1000)
        self.frame_rate = next(rates, None) or self.info.fps

    def planning_duration(self) -> float:
        """Seconds to place the sampled frames by, before anything is decoded: the header's
        duration, else its frame count over the rate, else the last packet's timestamp,
        else 1 s (the plan then takes what frames there are)."""
        info = self.info
        duration = info.duration or (self.expected_frames / info.fps if self.expected_frames and info.fps else None)
        return duration or count_duration(self.path, info.fps) or 1.0

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> "VideoSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fail_open(path: Path, error: Exception) -> AssessmentError:
    with open(path, "rb") as fh:
        head = fh.read(512)
    if looks_like_container(head):
        return AssessmentError("truncated", f"the file looks like a video container but cannot be opened ({error}); it is probably truncated or damaged")
    return AssessmentError("not_a_video", f"not a video file finevq can open ({type(error).__name__}: {error})")


def open_video(path: str | os.PathLike, limits: Limits = Limits()) -> VideoSource:
    p = Path(path)
    if not p.exists():
        raise AssessmentError("not_found", f"no such file: {path}")
    if not p.is_file():
        raise AssessmentError("not_a_file", f"not a regular file: {path}")
    if p.stat().st_size == 0:
        raise AssessmentError("empty_file", f"the file is empty (0 bytes): {path}")
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except av.FFmpegError as error:
        raise _fail_open(p, error) from None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise _fail_open(p, error) from None
    try:
        return _validate(str(path), container, limits)
    except BaseException:
        container.close()
        raise


#: FFmpeg renders any text file as "ANSI art" video; such streams are text, not video.
_TEXT_CODECS = {"ansi", "bintext", "xbin", "idf", "adf"}


def _validate(path: str, container: av.container.InputContainer, limits: Limits) -> VideoSource:
    first = container.streams.video[0] if container.streams.video else None
    if first is not None and first.codec_context is not None and first.codec_context.name in _TEXT_CODECS:
        raise AssessmentError("not_a_video", "the file is text, not video")
    if first is None:
        kinds = sorted({s.type for s in container.streams}) or ["nothing"]
        raise AssessmentError("no_video_stream", f"the file has no video stream (it holds {', '.join(kinds)})")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    if ctx is None or not ctx.name:
        raise AssessmentError("unsupported_codec", "the video stream's codec has no decoder in this build of FFmpeg")
    stream.thread_type = "AUTO"
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if width == 0 or height == 0:
        raise AssessmentError("not_a_video", "the video stream declares no picture size")
    if min(width, height) < limits.min_side:
        raise AssessmentError("too_small", f"the picture is {width}x{height}; finevq needs at least {limits.min_side} pixels on each side")
    if width * height > limits.max_pixels:
        raise AssessmentError("too_large", f"the picture is {width}x{height}, above the limit of {limits.max_pixels} pixels")

    fps = _fps(stream)
    duration = _duration(container, stream)
    if duration is not None and duration > limits.max_duration:
        raise AssessmentError("too_large", f"the video lasts {duration:.0f} s, above the limit of {limits.max_duration:.0f} s")
    expected = int(stream.frames) if stream.frames else (round(duration * fps) if duration and fps else None)
    pix = ctx.pix_fmt or ""
    info = VideoInfo(
        duration=duration,
        fps=fps,
        frame_count=None,
        width=width,
        height=height,
        codec=ctx.name,
        pixel_format=pix or None,
        bit_depth=_bit_depth(pix),
        rotation=0,
        container=container.format.name.split(",")[0] if container.format else None,
        bitrate=int(container.bit_rate) if container.bit_rate else None,
    )
    return VideoSource(path=path, container=container, stream=stream, info=info, expected_frames=expected)


def _fps(stream) -> float | None:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and Fraction(rate) > 0:
            value = float(rate)
            if 0.1 <= value <= 1000:
                return round(value, 4)
    return None


def _duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


_DEPTH = re.compile(r"p(\d+)(le|be)$")


def _bit_depth(pix_fmt: str) -> int | None:
    if not pix_fmt:
        return None
    match = _DEPTH.search(pix_fmt)
    if match:
        return int(match.group(1))
    return 8


def count_duration(path: str, fps: float | None) -> float | None:
    """When headers state no duration, read packet timestamps (no decoding) to find it."""
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            count, last = 0, None
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                count += 1
                if packet.pts is not None and packet.time_base:
                    t = float(packet.pts * packet.time_base)
                    last = t if last is None else max(last, t)
    except av.FFmpegError:
        return None
    if last is not None and fps:
        return last + 1.0 / fps
    return count / fps if fps and count else None
