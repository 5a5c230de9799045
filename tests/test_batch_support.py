"""Shared helpers for the batch tests (no tests here): a fake assessor and a few input builders.

The fake is deterministic (scores come from the file's bytes) and misbehaves on request,
by file name, so the supervision paths can be tested in seconds without decoding video.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from finevq.assessors.base import Assessor
from finevq.errors import AssessmentError
from finevq.schema import Assessment, ModelInfo, VideoInfo, dimension_result
from finevq.taxonomy import DIMENSIONS

TESTS = Path(__file__).resolve().parent


class FakeAssessor(Assessor):
    model_info = ModelInfo(name="fake", version="1")

    def __init__(self, delay: float, log: str | None):
        self.delay = delay
        if log:  # one line per assessor created, so a test can count creations per worker
            with open(log, "a") as fh:
                fh.write(f"{os.getpid()}\n")

    def _assess(self, path: str) -> Assessment:
        name = Path(path).name
        if "hang" in name:
            time.sleep(3600)
        if "crash" in name:
            os.kill(os.getpid(), signal.SIGSEGV)
        if "hog" in name:
            hog = bytearray(600 * 2**20)  # touched, so it counts as resident
            hog[:: 4096] = b"x" * len(hog[:: 4096])
            time.sleep(3600)
        if "broken" in name:
            raise AssessmentError("truncated", "fake: broken on purpose")
        data = Path(path).read_bytes()
        time.sleep(self.delay)
        digest = hashlib.sha256(data).digest()
        dims = {dim: dimension_result(dim, digest[i] / 2.55, None) for i, dim in enumerate(DIMENSIONS)}
        info = VideoInfo(width=64, height=48, codec="fake", frame_count=len(data))
        return Assessment(video=path, model=self.model_info, info=info, dimensions=dims)


@dataclass(frozen=True)
class FakeFactory:
    delay: float = 0.0
    log: str | None = None

    def __call__(self) -> FakeAssessor:
        return FakeAssessor(self.delay, self.log)


def fake_videos(folder: Path, count: int, prefix: str = "clip") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}{i:03d}.mp4"
        path.write_bytes(hashlib.sha256(f"{prefix}{i}".encode()).digest() * (i + 1))
        paths.append(path)
    return paths


def write_manifest(path: Path, videos: list[Path]) -> Path:
    lines = ["video,label,index"] + [f"{v},{'even' if i % 2 == 0 else 'odd'},{i}" for i, v in enumerate(videos)]
    path.write_text("\n".join(lines) + "\n")
    return path


def fake_batch_command(manifest: Path, output: Path, delay: float) -> list[str]:
    """A batch with the fake assessor in its own process, so that a test can SIGKILL it."""
    import sys

    code = (
        f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
        "from test_batch_support import FakeFactory\n"
        "from finevq.batch import collect, run_local\n"
        f"run_local(collect([{str(manifest)!r}]), {str(output)!r}, FakeFactory({delay}), workers=2)\n"
    )
    return [sys.executable, "-c", code]
