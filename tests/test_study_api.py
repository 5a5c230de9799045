"""The rating server's HTTP API, driven the way the page drives it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from finevq.study.app import create_app
from finevq.study.protocol import Reference
from finevq.study.store import Store
from finevq.taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension, distortions_of, levels_for

N_VIDEOS, REPEATS = 12, 2


def tiny_webm(path):
    path.write_bytes(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + bytes(32))
    return path


@pytest.fixture()
def study(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    store = Store.create(tmp_path / "study.db", repeats=REPEATS, seed=3)
    store.add_videos([tiny_webm(folder / f"clip{i:02d}.webm") for i in range(N_VIDEOS)])
    (example,), _ = store.add_videos([tiny_webm(folder / "example.webm")], role="example")
    reference = Reference(folder / "example.webm", {Dimension.BLUR: 2}, ("motion blur",), "fast pan")
    store.set_reference(example.id, reference, "example")
    return store


def client_for(store: Store) -> TestClient:
    return TestClient(create_app(store.path))


def login(client: TestClient, **body) -> dict:
    res = client.post("/api/session", json=body)
    assert res.status_code == 200, res.text
    client.headers["X-Annotator-Token"] = res.json()["token"]
    return res.json()


def answer(slot: dict, level: int = 1) -> dict:
    return {
        "assignment": slot["assignment"],
        "video": slot["video"]["id"],
        "levels": {d.value: levels_for(d)[level] for d in DIMENSIONS},
        "distortions": {d.value: ["none"] for d in DISTORTION_DIMENSIONS} | {"blur": ["motion blur", "other blur"]},
        "notes": {"blur": "smeared edges"},
        "page_version": "test",
        "duration_ms": 5000,
        "plays": 1,
    }


def rate_all(client: TestClient, limit: int | None = None) -> list[int]:
    """Rate until done (or `limit` videos); the video ids in the order they were served."""
    order = []
    while limit is None or len(order) < limit:
        slot = client.get("/api/next").json()
        if slot["done"]:
            break
        before = slot["progress"]["done"]
        res = client.post("/api/ratings", json=answer(slot))
        assert res.status_code == 201, res.text
        assert res.json()["progress"]["done"] == before + 1  # saved after every video
        order.append(slot["video"]["id"])
    return order


def test_page_config_and_media(study):
    client = client_for(study)
    page = client.get("/")
    assert page.status_code == 200 and "study.js" in page.text
    assert client.get("/static/study.js").status_code == 200
    config = client.get("/api/config").json()
    assert [f["dimension"] for f in config["form"]] == [d.value for d in DIMENSIONS]
    blur = next(f for f in config["form"] if f["dimension"] == "blur")
    assert [lv["name"] for lv in blur["levels"]] == list(levels_for("blur"))
    assert blur["types"] == [t.name for t in distortions_of("blur")] and blur["other"] == "other blur"
    assert config["examples"][0]["levels"] == {"blur": "mild"} and config["examples"][0]["note"] == "fast pan"
    video_id = study.videos("rate")[0].id
    media = client.get(f"/media/{video_id}")
    assert media.status_code == 200 and media.headers["content-type"] == "video/webm"
    assert media.content.startswith(b"\x1a\x45\xdf\xa3")
    assert client.get(f"/media/{video_id}", headers={"Range": "bytes=0-3"}).status_code == 206
    assert client.get("/media/9999").status_code == 404
    assert client.get("/media/..%2Fstudy.db").status_code in (404, 422)


def test_two_annotators_resume_repeats_and_added_videos(study, tmp_path):
    ana, ben = client_for(study), client_for(study)
    login(ana, name="Ana")
    login(ben, name="Ben")
    first_ana = rate_all(ana, limit=5)
    first_ben = rate_all(ben, limit=5)
    assert first_ana != first_ben  # each annotator has their own random order

    # Ana closes the browser: a new client with her name (or her link's token) resumes
    expected_next = ana.get("/api/next").json()["video"]["id"]
    again = client_for(study)
    session = login(again, name="  ana ")
    assert session["name"] == "Ana" and session["progress"]["done"] == 5
    assert again.get("/api/next").json()["video"]["id"] == expected_next
    by_link = client_for(study)
    login(by_link, token=session["token"])
    assert by_link.get("/api/next").json()["video"]["id"] == expected_next

    # a video added mid-study is served to both, and counted in their totals
    (late,), _ = study.add_videos([tiny_webm(tmp_path / "videos" / "late.webm")])
    rest_ana = rate_all(again)
    rest_ben = rate_all(ben)
    for order in (first_ana + rest_ana, first_ben + rest_ben):
        assert late.id in order
        assert len(order) == N_VIDEOS + 1 + REPEATS
        assert len(set(order)) == N_VIDEOS + 1  # the repeats are videos seen before
    done = again.get("/api/next").json()
    assert done["done"] and done["progress"] == {"done": N_VIDEOS + 1 + REPEATS, "total": N_VIDEOS + 1 + REPEATS}

    snap = study.snapshot()
    assert len(snap.responses) == 2 * (N_VIDEOS + 1 + REPEATS)
    assert ("smeared edges" in {note for _, _, _, note in snap.ticks})


@pytest.mark.parametrize(
    "change, status, fragment",
    [
        (lambda a: a["levels"].update(color="superb"), 422, "unknown level 'superb'"),
        (lambda a: a["levels"].update(noise="excellent"), 422, "unknown level 'excellent' for noise"),
        (lambda a: a["levels"].pop("temporal"), 422, "missing level for temporal"),
        (lambda a: a["distortions"].update(noise=["lens flare"]), 422, "unknown distortion type 'lens flare'"),
        (lambda a: a["distortions"].update(noise=["motion blur"]), 422, "'motion blur' is a blur distortion"),
        (lambda a: a["distortions"].update(color=["none", "color cast"]), 422, "cannot be ticked together"),
        (lambda a: a["distortions"].pop("artifact"), 422, "no distortion types for artifact"),
        (lambda a: a.update(video=9999), 404, "unknown video id 9999"),
        (lambda a: a.update(assignment=9999), 404, "not in this annotator's queue"),
    ],
)
def test_invalid_submissions_get_4xx_json(study, change, status, fragment):
    client = client_for(study)
    login(client, name="Cleo")
    slot = client.get("/api/next").json()
    body = answer(slot)
    change(body)
    res = client.post("/api/ratings", json=body)
    assert res.status_code == status
    assert fragment in str(res.json()["detail"])
    assert client.get("/api/next").json()["progress"]["done"] == 0  # nothing was saved


def test_slots_cannot_be_rated_twice_or_by_others(study):
    ana, ben = client_for(study), client_for(study)
    login(ana, name="Ana")
    login(ben, name="Ben")
    slot = ana.get("/api/next").json()
    assert ana.post("/api/ratings", json=answer(slot)).status_code == 201
    assert ana.post("/api/ratings", json=answer(slot)).status_code == 409  # a second tab
    assert ben.post("/api/ratings", json=answer(slot)).status_code == 404
    upcoming = ana.get("/api/next").json()
    other = next(v.id for v in study.videos("rate") if v.id != upcoming["video"]["id"])
    assert ana.post("/api/ratings", json=answer(upcoming) | {"video": other}).status_code == 409


def test_sessions_need_a_name_or_a_known_token(study):
    client = client_for(study)
    assert client.post("/api/session", json={"name": "   "}).status_code == 422
    assert client.post("/api/session", json={"token": "nope"}).status_code == 401
    assert client.get("/api/next").status_code == 401
    assert client.get("/api/next", headers={"X-Annotator-Token": "nope"}).status_code == 401
    assert client.post("/api/session", json={"name": "x", "extra": 1}).status_code == 422
