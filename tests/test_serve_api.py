"""The HTTP API against a fake assessor in real worker processes: happy path, every refusal, limits, restarts."""

from __future__ import annotations

import socket
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from test_serve_support import MP4_HEAD, fake_factory, fake_video, serving

from finevq.schema import Assessment
from finevq.serve.app import create_app
from finevq.serve.settings import Settings

KEY = "s3cret-key"
AUTH = {"X-API-Key": KEY}


def wait(client: TestClient, job_id: str, headers=AUTH, until=("done", "failed"), timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/assessments/{job_id}", headers=headers).json()
        if job["status"] in until:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {job['status']}, not {until}")


def upload(client: TestClient, data: bytes, name: str = "clip.mp4", headers=AUTH):
    return client.post("/v1/assessments", files={"file": (name, data, "video/mp4")}, headers=headers)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"], body


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("roots")
    allowed, outside = base / "allowed", base / "outside"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "clip.mp4").write_bytes(fake_video())
    (allowed / "notes.txt").write_text("not a video " * 40)
    (outside / "secret.mp4").write_bytes(fake_video())
    (allowed / "escape.mp4").symlink_to(outside / "secret.mp4")
    (allowed / "escape-dir").symlink_to(outside, target_is_directory=True)
    return {"base": base, "allowed": allowed, "outside": outside}


@pytest.fixture(scope="module")
def client(roots):
    settings = Settings(
        store=roots["base"] / "state" / "jobs.db",
        workers=1,
        job_timeout=20,
        max_upload_mb=0.25,
        allow_roots=(roots["allowed"],),
        api_key=KEY,
    )
    with TestClient(create_app(settings, fake_factory)) as test_client:
        test_client.settings = settings
        yield test_client


def test_health_is_open_and_says_what_the_page_needs(client):
    health = client.get("/v1/health").json()
    assert health["status"] == "ok" and health["workers"] == 1
    assert health["api_key_required"] is True and health["max_upload_mb"] == 0.25


def test_upload_is_assessed_in_the_common_schema_and_then_deleted(client):
    response = upload(client, fake_video(), name="../../holiday.mp4")
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and response.headers["location"] == f"/v1/assessments/{job['id']}"
    done = wait(client, job["id"])
    assert done["status"] == "done" and "error" not in done
    result = Assessment.model_validate(done["result"])
    assert result.ok and result.video == "holiday.mp4"  # the client's name, stripped of directories
    assert result.timeline.events and set(result.timeline.scores) == set(result.dimensions)
    assert list(client.settings.uploads.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"just some text, named like a video " * 20, 415, "not_a_video"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, 415, "not_a_video"),
        (b"GIF8", 415, "not_a_video"),
        (b"", 400, "empty_file"),
    ],
)
def test_non_video_uploads_are_refused_by_their_bytes(client, data, status, code):
    assert_error(upload(client, data, name="clip.mp4"), status, code)


def test_truncated_video_fails_its_job_with_the_assessors_code(client):
    response = upload(client, fake_video(complete=False))
    assert response.status_code == 202  # sniffing sees a valid MP4 head; only decoding finds the end missing
    job = wait(client, response.json()["id"])
    assert job["status"] == "failed" and job["error"]["code"] == "truncated"
    assert job["result"]["error"]["code"] == "truncated"


def test_oversized_upload_is_refused_from_its_declared_length(client):
    assert_error(upload(client, fake_video(frames=60_000)), 413, "upload_too_large")


def test_oversized_upload_is_refused_while_streaming(client):
    """No Content-Length (chunked): the cap is counted chunk by chunk and the partial file removed."""
    boundary = "finevqboundary"

    def body():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n\r\n'.encode() + MP4_HEAD
        for _ in range(40):
            yield b"\x00" * 16384
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post("/v1/assessments", content=body(), headers={**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert_error(response, 413, "upload_too_large")
    assert list(client.settings.uploads.iterdir()) == []


@pytest.mark.parametrize("given", ["clip.mp4", "ABSOLUTE"])
def test_path_under_an_allowed_root_is_assessed_in_place(client, roots, given):
    path = str(roots["allowed"] / "clip.mp4") if given == "ABSOLUTE" else given
    response = client.post("/v1/assessments", json={"path": path}, headers=AUTH)
    assert response.status_code == 202, response.text
    job = wait(client, response.json()["id"])
    assert job["status"] == "done" and job["result"]["video"] == path
    assert (roots["allowed"] / "clip.mp4").exists()  # the client's own file is never deleted


@pytest.mark.parametrize(
    ("given", "status", "code"),
    [
        ("OUTSIDE/secret.mp4", 403, "path_not_allowed"),
        ("ALLOWED/../outside/secret.mp4", 403, "path_not_allowed"),
        ("../outside/secret.mp4", 403, "path_not_allowed"),
        ("escape.mp4", 403, "path_not_allowed"),
        ("escape-dir/secret.mp4", 403, "path_not_allowed"),
        ("/etc/passwd", 403, "path_not_allowed"),
        ("missing.mp4", 404, "not_found"),
        ("ALLOWED", 400, "not_a_file"),
        ("notes.txt", 415, "not_a_video"),
        ("", 400, "bad_request"),
    ],
)
def test_paths_outside_the_roots_or_not_videos_are_refused(client, roots, given, status, code):
    path = given.replace("OUTSIDE", str(roots["outside"])).replace("ALLOWED", str(roots["allowed"]))
    assert_error(client.post("/v1/assessments", json={"path": path}, headers=AUTH), status, code)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}, {"X-API-Key": ""}])
def test_wrong_or_missing_api_key_is_refused(client, headers):
    assert_error(upload(client, fake_video(), headers=headers), 401, "unauthorized")
    assert_error(client.get("/v1/assessments/0123", headers=headers), 401, "unauthorized")
    assert client.get("/v1/health").status_code == 200


def test_unknown_job_id(client):
    assert_error(client.get("/v1/assessments/does-not-exist", headers=AUTH), 404, "unknown_job")


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"raw bytes", "headers": {"Content-Type": "video/mp4"}}, 415, "bad_request"),
        ({"content": b'{"file": "x"}', "headers": {"Content-Type": "application/json"}}, 400, "bad_request"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, "bad_request"),
        ({"data": {"note": "no file here"}, "files": {"other": ("a.mp4", fake_video())}}, 400, "bad_request"),
        ({"content": b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n" + fake_video(), "headers": {"Content-Type": "multipart/form-data; boundary=b"}}, 400, "bad_request"),
        ({"content": b"x", "headers": {"Content-Type": "multipart/form-data"}}, 400, "bad_request"),
        ({"content": b"--b\r\nContent-Disposition: form-data; name=\"" + b"n" * 20000 + b"\"\r\n\r\nx\r\n--b--\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=b"}}, 400, "bad_request"),
        ({"files": [("file", ("a.mp4", fake_video())), ("file", ("b.mp4", fake_video()))]}, 400, "bad_request"),
    ],
    ids=["not-multipart", "json-without-path", "broken-json", "no-file-field", "body-ends-inside-file", "no-boundary", "huge-part-header", "two-files"],
)
def test_malformed_requests_get_a_clear_4xx_and_the_server_keeps_serving(client, kwargs, status, code):
    kwargs = dict(kwargs)
    headers = {**AUTH, **kwargs.pop("headers", {})}
    assert_error(client.post("/v1/assessments", headers=headers, **kwargs), status, code)
    assert client.get("/v1/health").json()["status"] == "ok"
    assert wait(client, upload(client, fake_video()).json()["id"])["status"] == "done"


def test_ask_answers_about_a_finished_job(client):
    if not client.get("/v1/health").json()["ask"]:
        pytest.skip("finevq.instruct is not installed, so /v1/ask is not offered")
    job = wait(client, upload(client, fake_video()).json()["id"])
    reply = client.post("/v1/ask", json={"job": job["id"], "question": "How is the blur of this video?"}, headers=AUTH)
    assert reply.status_code == 200, reply.text
    assert reply.json()["text"]
    failed = wait(client, upload(client, fake_video(complete=False)).json()["id"])
    assert_error(client.post("/v1/ask", json={"job": failed["id"], "question": "How is the blur?"}, headers=AUTH), 409, "job_not_done")
    assert_error(client.post("/v1/ask", json={"job": "nope", "question": "How is the blur?"}, headers=AUTH), 404, "unknown_job")


def test_ask_is_left_out_without_finevq_instruct(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "finevq.instruct", None)  # makes the import fail
    app = create_app(Settings(store=tmp_path / "jobs.db"), fake_factory)
    assert "/v1/ask" not in app.openapi()["paths"]


def test_page_is_served_with_its_own_script_and_no_cors(client):
    page = client.get("/", headers={"Origin": "https://elsewhere.example"})
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    assert "access-control-allow-origin" not in page.headers
    assert client.get("/static/app.js").status_code == 200 and client.get("/static/style.css").status_code == 200
    preflight = client.options("/v1/assessments", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    schema = client.get("/openapi.json").json()
    content = schema["paths"]["/v1/assessments"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(content)


def test_timeout_kills_the_worker_and_the_queue_is_bounded(tmp_path):
    """A hung job fails with 'timeout' and its worker is replaced; a crash costs one job; a full queue answers 503."""
    settings = Settings(store=tmp_path / "jobs.db", workers=1, job_timeout=1.5, max_queued=1)
    with TestClient(create_app(settings, fake_factory)) as client:
        slow = upload(client, fake_video(marker=b"SLOW"), headers={}).json()["id"]
        wait(client, slow, headers={}, until=("running",))
        crash = upload(client, fake_video(marker=b"CRASH"), headers={}).json()["id"]
        assert_error(upload(client, fake_video(), headers={}), 503, "queue_full")
        hung = wait(client, slow, headers={})
        assert hung["status"] == "failed" and hung["error"]["code"] == "timeout"
        crashed = wait(client, crash, headers={})
        assert crashed["status"] == "failed" and crashed["error"]["code"] == "internal" and "died" in crashed["error"]["message"]
        assert wait(client, upload(client, fake_video(), headers={}).json()["id"], headers={})["status"] == "done"
        assert list(settings.uploads.iterdir()) == []


def test_results_and_waiting_jobs_survive_a_restart(tmp_path):
    settings = Settings(store=tmp_path / "jobs.db", workers=1, job_timeout=20)
    with TestClient(create_app(settings, fake_factory)) as client:
        finished = wait(client, upload(client, fake_video(), headers={}).json()["id"], headers={})
        slow = upload(client, fake_video(marker=b"SLOW"), headers={}).json()["id"]
        waiting = upload(client, fake_video(), headers={}).json()["id"]
        wait(client, slow, headers={}, until=("running",))
    with TestClient(create_app(replace(settings, workers=2), fake_factory)) as client:  # both run again
        again = client.get(f"/v1/assessments/{finished['id']}").json()
        assert again == finished
        assert client.get(f"/v1/assessments/{slow}").json()["status"] in ("queued", "running")
        assert wait(client, waiting, headers={})["status"] == "done"


def test_a_client_leaving_mid_upload_leaves_nothing_behind(tmp_path):
    settings = Settings(store=tmp_path / "jobs.db", workers=1)
    with serving(create_app(settings, fake_factory)) as url:
        head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n' + fake_video(frames=5000)
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as client:
            client.sendall(
                b"POST /v1/assessments HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                b"Content-Length: 1000000\r\n\r\n" + head
            )
            deadline = time.monotonic() + 10
            while not any(settings.uploads.glob("*.part")) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert any(settings.uploads.glob("*.part")), "the upload never started"
        deadline = time.monotonic() + 10
        while any(settings.uploads.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list(settings.uploads.iterdir()) == []
        assert httpx.get(f"{url}/v1/health").json()["queued"] == 0
