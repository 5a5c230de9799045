"""`finevq study create/add/invite/mos` end to end on placeholder videos."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from finevq.study.cli import app
from finevq.study.labels import EXTRA_COLUMNS, LABEL_COLUMNS
from finevq.study.protocol import Answer
from finevq.study.store import Store
from finevq.taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension, level_of

MP4 = b"\x00\x00\x00\x18ftypisom" + bytes(40)
runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture()
def folder(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(10):
        (videos / f"clip{i}.mp4").write_bytes(MP4)
    (videos / "readme.txt").write_text("not a video")
    (videos / "broken.mp4").write_bytes(b"garbage")
    goldens = tmp_path / "goldens"
    goldens.mkdir()
    (goldens / "gold.mp4").write_bytes(MP4)
    (videos / "example.mp4").write_bytes(MP4)
    (tmp_path / "controls.csv").write_text(
        "video,color,noise,artifact,blur,temporal,overall\n"
        "goldens/gold.mp4,excellent,undistorted,undistorted,undistorted,excellent,excellent\n"
        "videos/clip0.mp4,,,,severe,,bad\n"
    )
    (tmp_path / "examples.csv").write_text(
        "video,blur,overall,distortions,note\nvideos/example.mp4,strong,poor,motion blur,camera pans fast\n"
    )
    return tmp_path


def test_create_reports_skips_and_sets_controls_and_examples(folder):
    db = folder / "study.db"
    code, out = invoke("create", folder / "videos", "-o", db, "--controls-file", folder / "controls.csv",
                       "--examples", folder / "examples.csv", "--repeat", 2, "--seed", 1)
    assert code == 0, out
    assert re.search(r"skipped .*readme.txt: extension .txt is not a video extension", out)
    assert re.search(r"skipped .*broken.mp4: content is not", out)
    assert "11 videos to rate, 2 controls, 1 training examples" in " ".join(out.split())
    store = Store(db)
    gold = next(v for v in store.videos("control") if v.path == "goldens/gold.mp4")
    assert store.expected_levels(gold.id)["overall"] == 0
    (example,) = store.videos("example")
    assert example.path == "videos/example.mp4" and example.note == "camera pans fast"

    code, out = invoke("create", folder / "videos", "-o", db)
    assert code == 1 and "exists" in out
    code, out = invoke(
        "create", folder / "videos", "-o", folder / "x.db", "--controls", 2, "--controls-file", folder / "controls.csv"
    )
    assert code == 1 and "not both" in out
    code, out = invoke("create", folder / "videos", "-o", folder / "y.db", "--controls", 50)
    assert code == 1 and "only 11 videos" in out and not (folder / "y.db").exists()

    (folder / "more").mkdir()
    (folder / "more" / "late.mp4").write_bytes(MP4)
    code, out = invoke("add", db, folder / "more", folder / "videos" / "clip1.mp4")
    assert code == 0 and "added 1 videos, 1 already in the study" in out

    code, out = invoke("invite", db, "Ana", "Ben", "--base-url", "http://lab:8001/")
    assert code == 0
    links = dict(line.split("\t") for line in out.strip().splitlines())
    assert links["Ana"] == f"http://lab:8001/?token={store.open_session('ana').token}"


def test_random_controls_become_everyones_repeats(folder):
    db = folder / "study.db"
    code, out = invoke("create", folder / "videos", "-o", db, "--controls", 3, "--repeat", 3, "--seed", 4)
    assert code == 0, out
    store = Store(db)
    controls = {v.id for v in store.videos("control")}
    assert len(controls) == 3 and not any(store.expected_levels(v) for v in controls)
    for name in ("a", "b"):
        annotator = store.open_session(name)
        seen = []
        while (slot := store.next_assignment(annotator.id)) is not None:
            best = Answer({d: 0 for d in DIMENSIONS}, {d: () for d in DISTORTION_DIMENSIONS}, {})
            store.submit(annotator.id, slot[0], slot[1].id, best, "t")
            seen.append(slot[1].id)
        assert {v for v in seen if seen.count(v) == 2} == controls


def test_mos_writes_labels_and_report(folder):
    db = folder / "study.db"
    assert invoke("create", folder / "videos", "-o", db, "--repeat", 1, "--seed", 2)[0] == 0
    store = Store(db)
    rng = np.random.default_rng(0)
    truth = {v.id: rng.uniform(10, 90, len(DIMENSIONS)) for v in store.videos("rate")}
    for n in range(8):
        annotator = store.open_session(f"rater{n}")
        while (slot := store.next_assignment(annotator.id)) is not None:
            seen = truth[slot[1].id] + rng.normal(0, 6, len(DIMENSIONS))
            levels = {d: min(4, max(0, int((100 - x) // 20))) for d, x in zip(DIMENSIONS, seen)}
            ticks = {d: ("motion blur",) if d is Dimension.BLUR else () for d in DISTORTION_DIMENSIONS}
            store.submit(annotator.id, slot[0], slot[1].id, Answer(levels, ticks, {}), "t", 4000, 1)
    labels, report = folder / "labels.csv", folder / "report.html"
    code, out = invoke("mos", db, "-o", labels, "--report", report)
    assert code == 0, out
    assert "11 of 11 videos labelled by 8 of 8 raters" in " ".join(out.split())

    with labels.open(newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == LABEL_COLUMNS + EXTRA_COLUMNS
        rows = list(reader)
    assert len(rows) == 11
    for row in rows:
        assert row["video"].startswith("videos/")
        for d in DIMENSIONS:
            score = float(row[d.value])
            assert 0 <= score <= 100 and row[f"{d}_level"] == level_of(d, score)
            assert float(row[f"{d}_ci95"]) > 0
        assert row["distortions"] == "motion blur" and row["n_raters"] == "8"
        assert row["motion_blur_share"] == "1.00"

    page = report.read_text()
    for d in DIMENSIONS:
        assert page.count(f'<svg class="histogram" data-dimension="{d}"') == 1
    assert page.count('<svg class="histogram"') == len(DIMENSIONS)
    assert "rater7" in page and "split-half SRCC" in page
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")

    code, out = invoke("mos", db, "-o", labels, "--rescale", "minmax")
    assert code == 1 and "panel" in out
