"""The HTTP face of finevq: submit a video, poll its job, read the result in the common schema.

Submitting only queues (202 and a job id): an assessment takes seconds to minutes, far
longer than a request should stay open. Everything the service knows about assessment
comes from `Assessment`; the assessor itself lives in the worker processes.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timezone
from functools import partial
from importlib import resources
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.security import APIKeyHeader
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import __version__
from ..schema import Assessment, ErrorInfo
from .errors import SERVICE_ERROR_CODES, ServiceError, install_error_handlers
from .jobs import AssessorFactory, Job, JobStore, WorkerPool, registered_assessor
from .safety import SNIFF_BYTES, key_matches, require_video, resolve_allowed
from .settings import Settings
from .upload import FILE_FIELD, receive_upload

STATIC = resources.files("finevq.serve") / "static"

#: The page runs only its own script and style, and talks only to this server.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_MAX_JSON_BYTES = 64 * 1024


class PathRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="a file under one of the server's --allow-root directories (absolute, or relative to a root)")


class JobView(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    video: str = Field(description="the upload's file name, or the path as given")
    created: datetime
    started: datetime | None = None
    finished: datetime | None = None
    ahead: int | None = Field(None, description="queued jobs that start before this one")
    error: ErrorInfo | None = None
    result: Assessment | None = Field(None, description="the assessment; failed jobs carry one when the assessor made a record")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job: str = Field(description="id of a finished job")
    question: str = Field(min_length=1, max_length=2000)


class AskReply(BaseModel):
    kind: str = Field(description="the question type, or 'unsupported'")
    text: str
    value: str | float | int | list | None = Field(None, description="the short answer (a level, score, Yes/No, option letter, count)")


def _time(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def _view(job: Job, store: JobStore) -> JobView:
    return JobView(
        id=job.id,
        status=job.status,
        video=job.source,
        created=_time(job.created),
        started=_time(job.started),
        finished=_time(job.finished),
        ahead=store.ahead_of(job) if job.status == "queued" else None,
        error=ErrorInfo(code=job.error_code, message=job.error_message) if job.error_code else None,
        result=Assessment.model_validate_json(job.result) if job.result else None,
    )


def _ask_function():
    """`finevq.instruct.ask`, where that package is installed; without it /v1/ask is not offered."""
    try:
        from ..instruct import ask
    except ImportError:
        return None
    return ask


_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": [FILE_FIELD], "properties": {FILE_FIELD: {"type": "string", "format": "binary"}}}
            },
            "application/json": {"schema": PathRequest.model_json_schema()},
        },
    }
}


def create_app(settings: Settings = Settings(), assessor_factory: AssessorFactory | None = None) -> FastAPI:
    """The service; `assessor_factory` (picklable, called once in each worker) defaults to `settings.model`."""
    factory = assessor_factory or partial(registered_assessor, settings.model)
    ask = _ask_function()
    state: dict[str, Any] = {}  # the store and pool, which exist only while the app runs (see lifespan)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state["store"] = store = JobStore(settings.store)
        state["pool"] = pool = WorkerPool(store, factory, settings.workers, settings.job_timeout, settings.uploads)
        pool.start()
        try:
            yield
        finally:
            pool.stop()
            store.close()

    codes = "\n".join(f"- `{code}`: {meaning}" for code, meaning in SERVICE_ERROR_CODES.items())
    app = FastAPI(
        title="finevq",
        version=__version__,
        lifespan=lifespan,
        description="Fine-grained video quality assessment. Errors are `{\"error\": {\"code\", \"message\"}}`; "
        f"besides the assessment codes of `finevq.errors`, the service's own are:\n{codes}",
    )
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"], allow_headers=["X-API-Key", "Content-Type"]
        )
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    def require_key(given: str | None = Security(APIKeyHeader(name="X-API-Key", auto_error=False))) -> None:
        if settings.api_key is not None and not key_matches(given, settings.api_key):
            raise ServiceError(401, "unauthorized", "this server needs its API key in the X-API-Key header" if given is None else "the X-API-Key header does not match the server's key")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), headers=PAGE_HEADERS)

    @app.get("/v1/health", tags=["service"])
    def health() -> dict:
        store, pool = state["store"], state["pool"]
        return {
            "status": "ok",
            "version": __version__,
            "workers": settings.workers,
            "workers_ready": pool.ready_workers(),
            "queued": store.count("queued"),
            "running": store.count("running"),
            "max_upload_mb": settings.max_upload_mb,
            "api_key_required": settings.api_key is not None,
            "ask": ask is not None,
        }

    api = APIRouter(prefix="/v1", dependencies=[Depends(require_key)], tags=["assessments"])

    @api.post("/assessments", status_code=202, response_model=JobView, response_model_exclude_none=True, openapi_extra=_SUBMIT_BODY)
    async def submit(request: Request, response: Response) -> JobView:
        """Queue a video: a multipart upload in the field `file`, or JSON `{"path": ...}` under an allowed root."""
        store, pool = state["store"], state["pool"]
        if store.count("queued") >= settings.max_queued:
            raise ServiceError(503, "queue_full", f"{settings.max_queued} jobs are already waiting; retry later", {"Retry-After": "30"})
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            upload = await receive_upload(request, settings.uploads, settings.max_upload_bytes)
            job = store.add(upload.filename, str(upload.path), upload=True)
        elif content_type.startswith("application/json"):
            job = store.add(*await _path_job(request, settings), upload=False)
        else:
            raise ServiceError(415, "bad_request", f"send multipart/form-data with the video in a '{FILE_FIELD}' field, or JSON {{\"path\": ...}}")
        pool.submit(job)
        response.headers["Location"] = f"/v1/assessments/{job.id}"
        return _view(job, store)

    @api.get("/assessments/{job_id}", response_model=JobView, response_model_exclude_none=True)
    def status(job_id: str) -> JobView:
        """The job's status; once done or failed, the assessment in the common schema."""
        job = state["store"].get(job_id)
        if job is None:
            raise ServiceError(404, "unknown_job", f"no job has the id {job_id!r}")
        return _view(job, state["store"])

    if ask is not None:

        @api.post("/ask", response_model=AskReply)
        def answer(question: AskRequest) -> AskReply:
            """Answer a question about a finished job's assessment (FineVQ's question types; see finevq.instruct)."""
            job = state["store"].get(question.job)
            if job is None:
                raise ServiceError(404, "unknown_job", f"no job has the id {question.job!r}")
            if job.status != "done":
                raise ServiceError(409, "job_not_done", f"the job is {job.status}; questions need a finished assessment")
            reply = ask(Assessment.model_validate_json(job.result), question.question)
            return AskReply(kind=reply.kind, text=reply.text, value=reply.value)

    app.include_router(api)
    return app


async def _path_job(request: Request, settings: Settings) -> tuple[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_JSON_BYTES:
            raise ServiceError(413, "bad_request", "a JSON request is a path, not a video: send videos as multipart uploads")
    try:
        given = PathRequest.model_validate_json(body).path
    except ValidationError as error:
        raise ServiceError(400, "bad_request", f"expected JSON {{\"path\": \"...\"}}: {error.errors()[0]['msg']}") from None
    real = resolve_allowed(given, settings.allow_roots)
    with real.open("rb") as file:
        require_video(file.read(SNIFF_BYTES))
    return given, str(real)
