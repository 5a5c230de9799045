"""The rating server: the page, the study's videos by id, and a small JSON API.

Videos are served only by their id in the study, never by a path from the request, so the
server cannot be asked for any other file. Annotators authenticate with the token they get
when they enter their name; the page keeps it in the browser and in its URL, which is
what lets a closed browser (or another device) resume the queue where it stopped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from ..taxonomy import levels_for
from .protocol import NONE, SubmissionError, form_config, parse_answer
from .store import Annotator, NotFound, Store, StudyError

STATIC = Path(__file__).parent / "static"


def page_version() -> str:
    """A hash of the page's files: recorded with every answer, so a change to the form
    mid-study can be seen in the data."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionIn(_Body):
    name: str | None = Field(None, max_length=100)
    token: str | None = Field(None, max_length=100)


class RatingIn(_Body):
    assignment: int
    video: int
    levels: dict[str, str]
    distortions: dict[str, list[str]]
    notes: dict[str, str] = {}
    page_version: str = Field("unknown", max_length=64)
    duration_ms: int | None = Field(None, ge=0)
    plays: int | None = Field(None, ge=0)


def create_app(db_path: str | Path) -> FastAPI:
    store = Store(db_path)
    version = page_version()
    app = FastAPI(title="finevq study", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(StudyError)
    async def _study_error(_: Request, exc: StudyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(SubmissionError)
    async def _submission_error(_: Request, exc: SubmissionError) -> JSONResponse:
        return JSONResponse({"detail": exc.problems}, status_code=422)

    def current(token: str | None) -> Annotator:
        if not token:
            raise HTTPException(401, "missing X-Annotator-Token header")
        try:
            return store.annotator(token)
        except NotFound:
            raise HTTPException(401, "unknown annotator token") from None

    def progress(annotator: Annotator) -> dict:
        p = store.progress(annotator.id)
        return {"done": p.done, "total": p.total}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/api/config")
    def config() -> dict:
        examples = []
        for video in store.videos("example"):
            stated = store.expected_levels(video.id)
            examples.append({
                "id": video.id,
                "url": f"/media/{video.id}",
                "levels": {dim: levels_for(dim)[index] for dim, index in stated.items()},
                "distortions": [t for t in video.expected_distortions.split(";") if t],
                "note": video.note,
            })
        return {"page_version": version, "none": NONE, "form": form_config(), "examples": examples}

    @app.post("/api/session")
    def session(body: SessionIn) -> dict:
        if body.token:
            annotator = current(body.token)
        elif body.name and body.name.strip():
            annotator = store.open_session(body.name)
        else:
            raise HTTPException(422, "give a name or a token")
        return {"name": annotator.name, "token": annotator.token, "progress": progress(annotator)}

    @app.get("/api/next")
    def next_video(x_annotator_token: str | None = Header(None)) -> dict:
        annotator = current(x_annotator_token)
        slot = store.next_assignment(annotator.id)
        if slot is None:
            return {"done": True, "progress": progress(annotator)}
        assignment, video = slot
        return {
            "done": False,
            "progress": progress(annotator),
            "assignment": assignment,
            "video": {"id": video.id, "url": f"/media/{video.id}", "mime": video.mime},
        }

    @app.post("/api/ratings", status_code=201)
    def rate(body: RatingIn, x_annotator_token: str | None = Header(None)) -> dict:
        annotator = current(x_annotator_token)
        answer = parse_answer(body.levels, body.distortions, body.notes)
        response = store.submit(
            annotator.id, body.assignment, body.video, answer, body.page_version, body.duration_ms, body.plays
        )
        return {"response": response, "progress": progress(annotator)}

    @app.get("/media/{video_id}", include_in_schema=False)
    def media(video_id: int) -> FileResponse:
        video = store.video(video_id)
        path = store.resolve(video.path)
        if not path.is_file():
            raise NotFound(f"video {video_id} is in the study but its file is missing")
        return FileResponse(path, media_type=video.mime)

    return app
