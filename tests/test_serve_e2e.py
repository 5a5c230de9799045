"""End to end: the real server on loopback, the real assessor, the page driven in headless Chromium.

Screenshots land in test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from test_serve_support import serving

from finevq.schema import Assessment
from finevq.serve.app import create_app
from finevq.serve.report import render_report
from finevq.serve.settings import Settings

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (pip install playwright)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium at /usr/bin/chromium (apt-get install chromium)")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: Flags for a sandbox without a display, GPU or network, and without Chromium's own background traffic.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        yield context
        context.close()


def check_rendered(page, assessment: dict) -> None:
    """The view shows this assessment: six radar axes, one score polygon, a timeline row per dimension."""
    page.wait_for_selector("svg.radar")
    assert page.locator("svg.radar line.axis").count() == 6
    assert len(page.locator("svg.radar polygon.scores").get_attribute("points").split()) == 6
    assert page.locator("svg.timeline path.series").count() == 6
    assert page.locator("svg.timeline rect.event").count() == len(assessment["timeline"].get("events", []))
    assert page.locator(".description").inner_text() == assessment["description"]
    assert page.locator(".overall-score").inner_text() == str(round(assessment["dimensions"]["overall"]["score"]))
    shown = page.locator("ul.dims .tag:not(.none)").count()
    assert shown == sum(len(d.get("distortions") or []) for d in assessment["dimensions"].values())


def test_page_assesses_an_uploaded_video_and_the_report_shows_the_same(tmp_path, browser):
    from finevq.synth.video import make_test_video

    video = make_test_video(tmp_path / "stalling clip.mp4", distortion="stalling", level=3, width=320, height=180, seconds=4.0)
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(video.read_bytes()[: video.stat().st_size // 3])
    ARTIFACTS.mkdir(exist_ok=True)
    page_errors: list[str] = []
    with serving(create_app(Settings(store=tmp_path / "jobs.db", workers=1, job_timeout=120))) as url:
        page = browser.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto(url)
        page.set_input_files("#file", str(video))
        page.wait_for_selector("svg.radar", timeout=120_000)
        job_id = page.url.split("#job=")[1]
        job = httpx.get(f"{url}/v1/assessments/{job_id}").json()
        assert job["status"] == "done" and job["result"]["video"] == "stalling clip.mp4"
        check_rendered(page, job["result"])
        page.screenshot(path=ARTIFACTS / "serve_page.png", full_page=True)

        with page.expect_download() as download:
            page.click("#download-json")
        assert json.loads(Path(download.value.path()).read_text()) == job["result"]

        page.click("#again")
        page.set_input_files("#file", str(truncated))
        page.wait_for_selector(".failure", timeout=60_000)
        failed = httpx.get(f"{url}/v1/assessments/{page.url.split('#job=')[1]}").json()
        assert failed["status"] == "failed" and failed["error"]["code"] in page.locator("#message").inner_text()
        page.screenshot(path=ARTIFACTS / "serve_page_failed.png")
        assert httpx.get(f"{url}/v1/health").json()["status"] == "ok"

    report = tmp_path / "report.html"
    report.write_text(render_report(Assessment.model_validate(job["result"])))
    static = browser.new_page()
    static.on("pageerror", lambda error: page_errors.append(str(error)))
    static.goto(report.as_uri())
    check_rendered(static, job["result"])
    static.screenshot(path=ARTIFACTS / "serve_report.png", full_page=True)
    assert not page_errors
