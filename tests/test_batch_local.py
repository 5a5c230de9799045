"""The local batch engine against a fake assessor: inputs, stores, supervision, resume, CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from test_batch_support import FakeFactory, fake_batch_command, fake_videos, write_manifest
from typer.testing import CliRunner

from finevq.batch import InputError, StoreError, WorkerPool, collect, read_results, run_local, summarize
from finevq.batch.command import parse_size
from finevq.batch.store import JsonlLog, open_store
from finevq.cli import app


def test_folder_walk_keeps_videos_and_honours_include(tmp_path):
    fake_videos(tmp_path / "a" / "b", 2)
    (tmp_path / "a" / "notes.txt").write_text("x")
    (tmp_path / "a" / ".hidden.mp4").write_bytes(b"x")
    (tmp_path / "a" / "extra.mkv").write_bytes(b"x")
    found = [Path(j.path).name for j in collect([str(tmp_path / "a")]).jobs]
    assert found == ["clip000.mp4", "clip001.mp4", "extra.mkv"]
    assert [Path(j.path).name for j in collect([str(tmp_path / "a")], include=["*.mkv"]).jobs] == ["extra.mkv"]


def test_manifests_resolve_paths_and_carry_extra_columns(tmp_path):
    videos = fake_videos(tmp_path / "v", 3)
    (tmp_path / "m.jsonl").write_text(
        "\n".join(json.dumps(r) for r in [{"path": "v/clip000.mp4", "n": 1}, {"path": "v/clip001.mp4", "n": 2.5, "tags": ["a"]}, {"path": str(videos[2])}])
    )
    jobs = collect([str(tmp_path / "m.jsonl")])
    assert [j.path for j in jobs.jobs] == [str(v) for v in videos]
    assert jobs.extra_types == {"n": float, "tags": str}
    assert [j.extras.get("n") for j in jobs.jobs] == [1.0, 2.5, None] and jobs.jobs[1].extras["tags"] == '["a"]'
    csv_jobs = collect([str(write_manifest(tmp_path / "m.csv", videos))])
    assert csv_jobs.jobs[1].extras == {"label": "odd", "index": "1"}
    stdin = collect(["-"], stdin=io.StringIO(f"{videos[0]}\n\n{videos[0]}\n{videos[1]}\n"))
    assert [j.path for j in stdin.jobs] == [str(videos[0]), str(videos[1])] and stdin.duplicates == 1
    (tmp_path / "bad.csv").write_text("file\nx.mp4\n")
    with pytest.raises(InputError, match="no 'video' or 'path'"):
        collect([str(tmp_path / "bad.csv")])
    (tmp_path / "clash.csv").write_text("video,overall_score\nx.mp4,3\n")
    with pytest.raises(InputError, match="clashes"):
        collect([str(tmp_path / "clash.csv")])


def test_keys_follow_the_file_version(tmp_path):
    (video,) = fake_videos(tmp_path, 1)
    before = collect([str(video)]).jobs[0].key
    os.utime(video, ns=(1, 2))
    assert collect([str(video)]).jobs[0].key != before
    hashed = collect([str(video)], content_hash=True).jobs[0].key
    os.utime(video, ns=(3, 4))
    assert hashed.startswith("sha256:") and collect([str(video)], content_hash=True).jobs[0].key == hashed


def test_jsonl_log_cuts_a_torn_tail_and_refuses_damage_inside(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"path": "a", "key": "1", "error_code": null}\n{"path": "b", "ke')
    store = open_store(path, {})
    assert list(store.done) == [("a", "1")]
    store.append({"path": "c", "key": "1", "error_code": None})
    store.close()
    assert [json.loads(line)["path"] for line in path.read_text().splitlines()] == ["a", "c"]
    path.write_bytes(b'{"path": "a"\n{"path": "c", "key": "1", "error_code": null}\n')
    with pytest.raises(StoreError, match="line 1"):
        open_store(path, {})
    path.write_text('{"video": "a.mp4", "dimensions": {}}\n')  # plain `finevq assess -f jsonl` output
    with pytest.raises(StoreError, match="not a finevq batch row"):
        open_store(path, {})


def test_one_writer_per_output(tmp_path):
    log = JsonlLog(tmp_path / "r.jsonl")
    with pytest.raises(StoreError, match="another finevq batch"):
        JsonlLog(tmp_path / "r.jsonl")
    log.close()


@pytest.mark.parametrize("output", ["r.jsonl", "r.parquet", "parts/"])
def test_run_resumes_without_duplicates(tmp_path, output):
    videos = fake_videos(tmp_path / "v", 6)
    target = str(tmp_path / output)
    manifest = collect([str(write_manifest(tmp_path / "m.csv", videos[:4]))])
    first = run_local(manifest, target, FakeFactory(), workers=2)
    assert (first.done, first.skipped, first.exit_code) == (4, 0, 0)
    everything = collect([str(write_manifest(tmp_path / "m.csv", videos))])
    second = run_local(everything, target, FakeFactory(), workers=2)
    assert (second.done, second.skipped) == (2, 4)
    rows = read_results(target)
    assert sorted(rows["path"]) == sorted(str(v) for v in videos)
    assert list(rows.columns[:4]) == ["path", "key", "label", "index"]
    assert set(rows["overall_level"]) <= {"excellent", "good", "fair", "poor", "bad"}
    if output != "r.jsonl":
        assert not list(tmp_path.rglob("*journal*"))


@pytest.mark.parametrize("output", ["r.jsonl", "r.parquet"])
def test_sigkill_then_resume_loses_nothing_and_duplicates_nothing(tmp_path, output):
    manifest = write_manifest(tmp_path / "m.csv", fake_videos(tmp_path / "v", 12))
    target = tmp_path / output
    journal = target if output.endswith(".jsonl") else target.with_name(target.name + ".journal.jsonl")
    batch = subprocess.Popen(fake_batch_command(manifest, target, delay=0.2))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not journal.exists() or journal.read_bytes().count(b"\n") < 3):
        time.sleep(0.02)
    batch.kill()
    batch.wait()
    assert 3 <= journal.read_bytes().count(b"\n") < 12 and not target.with_suffix(".parquet").is_file()
    resumed = run_local(collect([str(manifest)]), target, FakeFactory(), workers=2)
    assert resumed.skipped >= 3 and resumed.done + resumed.skipped == 12
    run_local(collect([str(manifest)]), tmp_path / ("clean" + target.suffix), FakeFactory(), workers=2)
    rows = read_results(target).sort_values("path").reset_index(drop=True)
    clean = read_results(tmp_path / ("clean" + target.suffix)).sort_values("path").reset_index(drop=True)
    assert len(rows) == 12 and rows.equals(clean)


def test_supervision_records_hangs_crashes_and_memory_hogs(tmp_path):
    good = fake_videos(tmp_path, 4)
    bad = []
    for name in ("hang.mp4", "crash.mp4", "hog.mp4", "broken.mp4"):
        (tmp_path / name).write_bytes(b"x")
        bad.append(tmp_path / name)
    log = tmp_path / "created.log"
    jobs = collect([str(p) for p in bad + good])
    report = run_local(jobs, tmp_path / "r.jsonl", FakeFactory(log=str(log)), workers=2, timeout=3, max_memory=300 * 2**20)
    rows = read_results(tmp_path / "r.jsonl").set_index("path")
    codes = {Path(p).name: c for p, c in rows["error_code"].items() if isinstance(c, str)}
    assert codes == {"hang.mp4": "timeout", "crash.mp4": "internal", "hog.mp4": "too_large", "broken.mp4": "truncated"}
    assert rows["ok"].sum() == 4 and report.exit_code == 1
    assert report.failures == Counter(timeout=1, internal=1, too_large=1, truncated=1)
    assert "SIGSEGV" in rows.loc[str(tmp_path / "crash.mp4"), "error_message"]
    creations = Counter(log.read_text().split())
    assert set(creations.values()) == {1} and 4 <= len(creations) <= 5  # two workers, and a replacement for each failure that had work left


def test_worker_pool_reports_a_broken_assessor(tmp_path):
    from finevq.batch import AssessorFactory, PoolError

    with WorkerPool(AssessorFactory("fast:/nonexistent/heads.json"), 1) as pool, pytest.raises(PoolError, match="could not be created"):
        list(pool.run(collect([str(p) for p in fake_videos(tmp_path, 1)]).jobs))


def test_cli_refuses_what_it_cannot_run(tmp_path):
    videos = fake_videos(tmp_path / "v", 1)
    runner = CliRunner()
    result = runner.invoke(app, ["assess", str(tmp_path / "v"), "--output", str(tmp_path / "r.parquet"), "--format", "json"])
    assert result.exit_code == 2 and "--format is for plain files" in result.output
    result = runner.invoke(app, ["assess", str(tmp_path / "v"), "--engine", "nope", "-o", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 2 and "unknown engine" in result.output
    result = runner.invoke(app, ["assess", str(videos[0]), "--workers", "1"])
    assert result.exit_code == 2 and "needs --output" in result.output


def test_summarize_reports_distributions_worst_videos_and_errors(tmp_path):
    videos = fake_videos(tmp_path, 3)
    (tmp_path / "broken.mp4").write_bytes(b"x")
    run_local(collect([str(v) for v in videos] + [str(tmp_path / "broken.mp4")]), tmp_path / "r.jsonl", FakeFactory())
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(summarize(read_results(tmp_path / "r.jsonl"), worst=2))
    text = console.export_text()
    assert "worst 2 by overall score" in text and "blur" in text and "truncated" in text
    result = CliRunner().invoke(app, ["summarize", str(tmp_path / "r.jsonl")])
    assert result.exit_code == 0 and "4 videos: 3 assessed, 1 failed" in result.output


def test_parse_size():
    assert parse_size("4G") == 4 * 2**30 and parse_size("512MiB") == 512 * 2**20 and parse_size("100") == 100 * 2**20
    with pytest.raises(InputError):
        parse_size("lots")


def test_ray_engine_without_ray_says_how_to_get_it(tmp_path, monkeypatch):
    from finevq.batch import EngineUnavailable, run_ray

    jobs = collect([str(p) for p in fake_videos(tmp_path, 1)])
    with pytest.raises(EngineUnavailable, match="folder of Parquet parts"):
        run_ray(jobs, tmp_path / "r.jsonl")
    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without the extra looks like
    with pytest.raises(EngineUnavailable, match=r"pip install 'finevq\[ray\]'"):
        run_ray(jobs, tmp_path / "out")
    result = CliRunner().invoke(app, ["assess", str(tmp_path), "-o", str(tmp_path / "out"), "--engine", "ray"])
    assert result.exit_code == 2 and "finevq[ray]" in result.output


def test_a_manifest_column_added_between_runs_is_null_in_older_rows(tmp_path):
    videos = fake_videos(tmp_path / "v", 3)
    run_local(collect([str(v) for v in videos[:2]]), tmp_path / "r.parquet", FakeFactory())
    (tmp_path / "m.csv").write_text(f"video,batch\n{videos[2]},second\n")
    run_local(collect([str(tmp_path / "m.csv")]), tmp_path / "r.parquet", FakeFactory())
    rows = read_results(tmp_path / "r.parquet").set_index("path")
    assert len(rows) == 3 and rows.loc[str(videos[2]), "batch"] == "second" and rows["batch"].isna().sum() == 2
