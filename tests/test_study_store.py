"""The study file: accepted videos, queues, controls, and several annotators writing at once."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from finevq.study import media
from finevq.study.protocol import Answer, Reference, SubmissionError, parse_answer, read_references
from finevq.study.store import GAP, HEAD, Conflict, Store
from finevq.taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension

MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(40)
WEBM = b"\x1a\x45\xdf\xa3" + bytes(40)
AVI = b"RIFF\x00\x10\x00\x00AVI LIST" + bytes(40)


def make_videos(folder, n, content=MP4, suffix=".mp4"):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"v{i:03d}{suffix}"
        path.write_bytes(content)
        paths.append(path)
    return paths


def plain_answer(level=0):
    return Answer({d: level for d in DIMENSIONS}, {d: () for d in DISTORTION_DIMENSIONS}, {})


def queue(store, annotator_id):
    """Rate through a queue; the video ids in order."""
    order = []
    while (slot := store.next_assignment(annotator_id)) is not None:
        store.submit(annotator_id, slot[0], slot[1].id, plain_answer(), "t")
        order.append(slot[1].id)
    return order


def test_sniffing_needs_a_video_extension_and_matching_content(tmp_path):
    (tmp_path / "a.mp4").write_bytes(MP4)
    (tmp_path / "b.webm").write_bytes(WEBM)
    (tmp_path / "c.MKV").write_bytes(WEBM)
    (tmp_path / "d.avi").write_bytes(AVI)
    (tmp_path / "old.mov").write_bytes(b"\x00\x00\x00\x08wide" + bytes(20))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.mp4").write_bytes(b"not a video at all")
    (tmp_path / "swapped.mp4").write_bytes(WEBM)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.m4v").write_bytes(MP4)
    accepted, skipped = media.collect([tmp_path, tmp_path / "missing.mp4"])
    assert [p.name for p in accepted] == ["a.mp4", "b.webm", "c.MKV", "d.avi", "old.mov", "e.m4v"]
    reasons = {s.path.name: s.reason for s in skipped}
    assert "not a video extension" in reasons["notes.txt"]
    assert "content is not" in reasons["fake.mp4"]
    assert "content is matroska" in reasons["swapped.mp4"]
    assert reasons["missing.mp4"] == "does not exist"
    assert media.mime_type("x.webm") == "video/webm"


def test_schema_uses_wal_and_refuses_to_overwrite(tmp_path):
    store = Store.create(tmp_path / "s.db")
    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(FileExistsError):
        Store.create(tmp_path / "s.db")
    with pytest.raises(FileNotFoundError):
        Store(tmp_path / "other.db")


def test_paths_are_stored_relative_to_the_study_folder(tmp_path):
    store = Store.create(tmp_path / "s.db")
    inside = make_videos(tmp_path / "videos", 1)
    outside = make_videos(tmp_path.parent / f"{tmp_path.name}-elsewhere", 1)
    added, existing = store.add_videos(inside + outside + inside)
    assert [v.path for v in added] == ["videos/v000.mp4", outside[0].resolve().as_posix()]
    assert [v.path for v in existing] == ["videos/v000.mp4"]
    assert store.resolve(added[0].path) == inside[0].resolve()


def test_queues_put_controls_early_and_repeats_later(tmp_path):
    store = Store.create(tmp_path / "s.db", repeats=2, seed=5)
    added, _ = store.add_videos(make_videos(tmp_path / "videos", 40))
    controls = added[7:10]
    for video in controls:
        store.set_reference(video.id, Reference(store.resolve(video.path), {Dimension.COLOR: 1}, (), ""), "control")
    orders = [queue(store, store.open_session(name).id) for name in ("a", "b", "c")]
    control_ids = {v.id for v in controls}
    for order in orders:
        assert len(order) == 42 and len(set(order)) == 40
        repeated = {v for v in order if order.count(v) == 2}
        assert repeated <= control_ids and len(repeated) == 2
        for v in control_ids:
            assert order.index(v) < max(HEAD, 2 * len(control_ids)) + 2  # the repeats may come in between
        for v in repeated:
            first, second = (i for i, x in enumerate(order) if x == v)
            assert second - first > GAP
    assert len({tuple(o) for o in orders}) == 3
    with pytest.raises(Conflict):
        store.set_reference(added[0].id, Reference(tmp_path, {}, (), ""), "control")


def test_many_annotators_at_once(tmp_path):
    store = Store.create(tmp_path / "s.db", repeats=1, seed=1)
    store.add_videos(make_videos(tmp_path / "videos", 8))
    errors = []

    def work(name):
        try:
            queue(Store(store.path), Store(store.path).open_session(name).id)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(f"rater{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    snap = store.snapshot()
    assert len(snap.annotators) == 8 and len(snap.responses) == 8 * 9


def test_answers_are_checked_against_the_taxonomy():
    levels = {"color": "good", "noise": "slight", "artifact": "undistorted", "blur": "mild", "temporal": "fair",
              "overall": "good"}
    ticks = {"color": ["none"], "noise": ["gussian noise"], "artifact": ["none"], "blur": ["other blur"],
             "temporal": ["none"]}
    answer = parse_answer(levels, ticks, {"blur": " ghosting "})
    assert answer.levels[Dimension.NOISE] == 1 and answer.ticks[Dimension.NOISE] == ("gaussian noise",)
    assert answer.notes == {"other blur": "ghosting"}
    with pytest.raises(SubmissionError) as error:
        parse_answer(levels | {"smell": "good"}, ticks | {"overall": ["none"]}, {"color": "too red"})
    assert len(error.value.problems) == 3


def test_reference_files(tmp_path):
    (tmp_path / "refs.csv").write_text("video,color,blur,distortions,note\na.mp4,good,,color cast;,warm\n")
    (ref,) = read_references(tmp_path / "refs.csv")
    assert ref.path == tmp_path / "a.mp4" and ref.levels == {Dimension.COLOR: 1}
    assert ref.distortions == ("color cast",) and ref.note == "warm"
    (tmp_path / "bad.csv").write_text("video,blur\na.mp4,excellent\n")
    with pytest.raises(ValueError, match="not a blur level"):
        read_references(tmp_path / "bad.csv")
