"""Batches with the real fast assessor on generated clips: kill and resume, Ray versus local, broken files."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from test_batch_support import write_manifest
from typer.testing import CliRunner

from finevq.assessors import create_assessor
from finevq.assessors.base import Assessor
from finevq.batch import collect, read_results, run_local
from finevq.cli import app

DISTORTIONS = (None, "gaussian_blur", "gaussian_noise", "stalling", "over_dark")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    from finevq.synth.video import make_test_video

    folder = tmp_path_factory.mktemp("clips")
    return [
        make_test_video(folder / f"clip{i}.mp4", distortion=DISTORTIONS[i % 5], level=3 if i % 5 else 0, width=320, height=180, seconds=2.0, fps=12, seed=i)
        for i in range(10)
    ]


@pytest.fixture(scope="module")
def manifest(clips, tmp_path_factory) -> Path:
    return write_manifest(tmp_path_factory.mktemp("manifest") / "clips.csv", clips)


@pytest.fixture(scope="module")
def reference(manifest, tmp_path_factory) -> dict[str, dict]:
    """An uninterrupted local run: the rows every other run must reproduce exactly."""
    output = tmp_path_factory.mktemp("reference") / "results.parquet"
    report = run_local(collect([str(manifest)]), output, workers=2)
    assert (report.done, report.exit_code) == (10, 0)
    return _by_path(read_results(output))


def _by_path(frame) -> dict[str, dict]:
    return {row["path"]: {k: None if pd.isna(v) else v for k, v in row.items()} for row in frame.to_dict("records")}


def test_sigkill_mid_batch_then_resume_gives_exactly_the_uninterrupted_rows(manifest, reference, tmp_path):
    output = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "finevq.cli", "assess", str(manifest), "--output", str(output), "--workers", "2"]
    batch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not output.exists() or output.read_bytes().count(b"\n") < 3):
        time.sleep(0.05)
    batch.send_signal(signal.SIGKILL)
    batch.wait()
    before = output.read_bytes().count(b"\n")
    assert 3 <= before < 10, "the kill should land mid-batch"
    with open(output, "ab") as fh:
        fh.write(b'{"path": "' + str(manifest).encode())  # what a write cut short by a crash would leave

    resumed = run_local(collect([str(manifest)]), output, workers=2)  # a rerun through the CLI is tested below
    assert (resumed.skipped, resumed.done, resumed.exit_code) == (before, 10 - before, 0)
    rows = read_results(output)
    assert len(rows) == 10 and output.read_bytes().count(b"\n") == 10
    assert _by_path(rows).keys() == reference.keys()
    for path, row in _by_path(rows).items():
        assert row == reference[path]


def test_ray_engine_matches_the_local_engine(manifest, reference, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is an optional extra (pip install 'finevq[ray]')")
    from finevq.batch import run_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        report = run_ray(collect([str(manifest)]), str(tmp_path / "parts") + "/", workers=2)
    finally:
        ray.shutdown()
    assert (report.done, report.exit_code) == (10, 0)
    rows = _by_path(read_results(tmp_path / "parts"))
    assert rows.keys() == reference.keys()
    for path, row in rows.items():
        scores = [c for c in row if c.endswith(("_score", "_level"))]
        assert {c: row[c] for c in scores} == {c: reference[path][c] for c in scores}
        assert row == reference[path]


@dataclass(frozen=True)
class HangingFactory:
    """The real assessor, except that it hangs on paths containing `hang_on`: a decoder stuck on a bad file.

    It assesses `warmup` while the worker starts, so the one-off model load does not count
    against the short per-video timeout this test uses.
    """

    hang_on: str
    warmup: str

    def __call__(self) -> Assessor:
        inner = create_assessor("fast")
        inner.assess(self.warmup)
        return _Hanging(inner, self.hang_on)


class _Hanging(Assessor):
    def __init__(self, inner: Assessor, hang_on: str):
        self.inner, self.hang_on, self.model_info = inner, hang_on, inner.model_info

    def _assess(self, path: str):
        if self.hang_on in Path(path).name:
            time.sleep(3600)
        return self.inner.assess(path)


def _broken_files(folder: Path, clip: Path) -> dict[str, str]:
    """file name -> the error code it must be recorded with."""
    folder.mkdir(parents=True, exist_ok=True)
    data = clip.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) * 2 // 5])
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "notes.mp4").write_text("not a video at all\n" * 50)
    return {"truncated.mp4": "truncated", "empty.mp4": "empty_file", "notes.mp4": "not_a_video"}


def test_broken_files_are_recorded_and_the_batch_finishes(clips, tmp_path):
    expected = _broken_files(tmp_path / "in", clips[0])
    shutil.copy(clips[1], tmp_path / "in" / "hang.mp4")
    expected["hang.mp4"] = "timeout"
    good = [str(c) for c in clips[:3]]
    jobs = collect([str(tmp_path / "in"), *good])
    report = run_local(jobs, tmp_path / "r.parquet", HangingFactory("hang", str(clips[0])), workers=2, timeout=5)
    rows = read_results(tmp_path / "r.parquet")
    codes = {Path(p).name: c for p, c in zip(rows["path"], rows["error_code"]) if isinstance(c, str)}
    assert codes == expected
    assert rows["ok"].sum() == 3 and report.exit_code == 1
    assert dict(report.failures) == {code: 1 for code in expected.values()}


def test_cli_batch_exits_non_zero_with_a_summary(clips, tmp_path):
    expected = _broken_files(tmp_path / "in", clips[0])
    shutil.copy(clips[2], tmp_path / "in" / "good.mp4")
    result = CliRunner().invoke(app, ["assess", str(tmp_path / "in"), "-o", str(tmp_path / "out.jsonl"), "--workers", "2"])
    assert result.exit_code == 1, result.output
    assert "batch finished" in result.output and "1 ok, 3 failed" in result.output
    for code in expected.values():
        assert code in result.output
    again = CliRunner().invoke(app, ["assess", str(tmp_path / "in"), "-o", str(tmp_path / "out.jsonl")])
    assert again.exit_code == 1 and "0 ok, 0 failed" in again.output
    assert re.search(r"failed earlier\W+empty_file 1, not_a_video 1, truncated 1", again.output)


def test_plain_files_keep_the_original_output(clips, tmp_path):
    result = CliRunner().invoke(app, ["assess", str(clips[0]), "-f", "jsonl", "-o", str(tmp_path / "plain.jsonl")])
    assert result.exit_code == 0, result.output
    (line,) = (tmp_path / "plain.jsonl").read_text().splitlines()
    assert json.loads(line)["video"] == str(clips[0]) and "dimensions" in json.loads(line)
