"""Every refusal the service makes has one JSON shape, `{"error": {"code", "message"}}`.

It is the shape of `Assessment.error`, so a client reads a rejected upload and a failed
assessment the same way. Codes that describe the video reuse finevq's assessment codes
(`not_a_video`, `not_found`, `not_a_file`); the others are the service's own.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

SERVICE_ERROR_CODES: dict[str, str] = {
    "bad_request": "the request is malformed (see the message)",
    "unauthorized": "the X-API-Key header is missing or wrong",
    "path_not_allowed": "the path lies outside the directories given with --allow-root",
    "upload_too_large": "the upload exceeds --max-upload-mb",
    "unknown_job": "no job has this id",
    "job_not_done": "the job has not finished successfully, so there is no assessment to ask about",
    "queue_full": "too many jobs are waiting; retry later",
    "not_available": "the server has no such endpoint or resource",
}


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Also reshape FastAPI's own 404/405/422 answers, so no client meets a second format."""

    @app.exception_handler(ServiceError)
    async def _service(_: Request, error: ServiceError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.headers)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, error: HTTPException) -> JSONResponse:
        code = "not_available" if error.status_code in (404, 405) else "bad_request"
        return error_response(error.status_code, code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def _gone(_: Request, __: ClientDisconnect) -> JSONResponse:
        """A client that leaves mid-upload is routine, not a server error worth a traceback."""
        return error_response(400, "bad_request", "the client closed the connection before the request was complete")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        return error_response(422, "bad_request", problems or "invalid request")
