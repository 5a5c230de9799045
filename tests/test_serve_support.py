"""Shared by the serve tests (holds no tests): a fake assessor and a sample assessment.

The fake lives in its own module because the service builds assessors in spawned worker
processes, which import the factory by module name; at import it loads only finevq's
schema, so a worker starts in well under a second.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from finevq.describe import describe
from finevq.schema import Assessment, DetectedDistortion, Event, ModelInfo, StallSummary, Timeline, VideoInfo, dimension_result
from finevq.taxonomy import DIMENSIONS, Dimension

#: An ISO-BMFF ftyp box: the first bytes of an MP4, which is all the service's sniffing looks at.
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


def fake_video(frames: int = 40, marker: bytes = b"", complete: bool = True) -> bytes:
    """Bytes the fake assessor accepts: an MP4 head, some payload, and b'END' unless truncated."""
    return MP4_HEAD + marker + b"\x00frame" * frames + (b"END" if complete else b"")


_SCORES = {
    Dimension.COLOR: 78.0,
    Dimension.NOISE: 64.0,
    Dimension.ARTIFACT: 83.0,
    Dimension.BLUR: 41.0,
    Dimension.TEMPORAL: 35.0,
    Dimension.OVERALL: 52.0,
}
_FOUND = {
    Dimension.NOISE: [DetectedDistortion(type="gaussian noise", severity="slight", confidence=0.62)],
    Dimension.BLUR: [DetectedDistortion(type="gaussian blur", severity="strong", confidence=0.88)],
    Dimension.TEMPORAL: [
        DetectedDistortion(type="stalling", severity="strong", confidence=0.9),
        DetectedDistortion(type="shaking", severity="mild", confidence=0.55),
    ],
}


def sample_assessment(video: str = "clip.mp4", seconds: int = 8) -> Assessment:
    """A plausible result with a stall at 3-4.5 s and a shake at 6-7 s, built the way the fast assessor builds one."""
    dips = {Dimension.TEMPORAL: {3: -30, 4: -25, 6: -15}, Dimension.BLUR: {2: -10, 5: -12}, Dimension.OVERALL: {3: -12, 4: -10}}
    timeline = Timeline(
        seconds=[float(s) for s in range(seconds)],
        scores={d: [round(_SCORES[d] + 4 * ((s * 7 + i) % 3 - 1) + dips.get(d, {}).get(s, 0), 2) for s in range(seconds)] for i, d in enumerate(DIMENSIONS)},
        events=[Event(kind="stall", start=3.0, end=4.5), Event(kind="shake", start=6.0, end=7.0)],
    )
    assessment = Assessment(
        video=video,
        model=ModelInfo(name="fake", version="0"),
        info=VideoInfo(duration=float(seconds), fps=30.0, frame_count=30 * seconds, width=640, height=360, codec="h264", bit_depth=8, container="mp4"),
        dimensions={d: dimension_result(d, _SCORES[d], _FOUND.get(d)) for d in DIMENSIONS},
        most_impactful=Dimension.TEMPORAL,
        timeline=timeline,
        stalls=StallSummary(count=1, total_seconds=1.5, longest_seconds=1.5, share=1.5 / seconds),
    )
    assessment.description = describe(assessment)
    return assessment


class FakeAssessor:
    """Keeps the assessor contract (a record, never an exception) and reads the file for markers:
    b'SLOW' hangs, b'CRASH' kills the worker, no trailing b'END' is a truncated video."""

    model_info = ModelInfo(name="fake", version="0")

    def assess(self, path: str) -> Assessment:
        data = Path(path).read_bytes()
        if b"SLOW" in data:
            time.sleep(60)
        if b"CRASH" in data:
            os._exit(3)
        if not data.endswith(b"END"):
            return Assessment.failure(path, self.model_info, "truncated", "the stream ends early: too few frames decode")
        return sample_assessment(path)


def fake_factory() -> FakeAssessor:
    return FakeAssessor()


@contextmanager
def serving(app):
    """uvicorn in a thread, on a loopback port the OS picks (bound here, so nothing can race for it)."""
    import uvicorn  # here, so that worker processes importing the fake need not load it

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield "http://127.0.0.1:%d" % sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
