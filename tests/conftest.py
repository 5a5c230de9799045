"""Test videos are generated here, never read from ../shared: tests must pass on a fresh clone."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# The backbone's graph cache goes to a directory of the test run's own (the child processes
# that tests start inherit it), never to the user's ~/.cache.
if "FINEVQ_CACHE_DIR" not in os.environ:
    os.environ["FINEVQ_CACHE_DIR"] = tempfile.mkdtemp(prefix="finevq-test-cache-")
    atexit.register(shutil.rmtree, os.environ["FINEVQ_CACHE_DIR"], True)


def encode(path: Path, frames, fps: float = 24, *, codec: str = "libx264", pix_fmt: str = "yuv420p",
           rotation: int | None = None, container: str | None = None, options: dict | None = None) -> Path:
    """Encode RGB frames with settings a test needs to control (pixel format, rotation, codec)."""
    frames = list(frames)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        stream.options = {"crf": "16", **(options or {})} if codec == "libx264" else (options or {})
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def scene(width: int, height: int, n: int, seed: int = 0):
    """A small textured, moving scene: enough structure for every signal to see something."""
    rng = np.random.default_rng(seed)
    big = rng.random((height // 4 + 8, width // 4 + 8, 3))
    import cv2

    big = cv2.resize(big, (width + 32, height + 32), interpolation=cv2.INTER_CUBIC)
    big = (np.clip(big, 0, 1) * 200 + 20).astype(np.uint8)
    cv2.rectangle(big, (width // 4, height // 4), (width // 2, height // 2), (240, 30, 30), -1)
    cv2.putText(big, "finevq", (8, height // 2 + 20), cv2.FONT_HERSHEY_SIMPLEX, max(0.4, width / 400), (10, 10, 10), 2)
    return [np.ascontiguousarray(big[i % 16 : i % 16 + height, i % 32 : i % 32 + width]) for i in range(n)]


@pytest.fixture(scope="session")
def assessor():
    import finevq

    return finevq.Assessor()


def needs_shared(*parts: str):
    target = SHARED.joinpath(*parts)
    return pytest.mark.skipif(not target.exists(), reason=f"needs {target} (../shared is only beside a development checkout)")
