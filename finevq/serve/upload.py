"""Receiving an upload: parse the multipart body as it arrives, straight to disk.

FastAPI's `UploadFile` reads the whole body before the endpoint runs, so a size cap
there comes after the disk is already full. Here the cap is checked on every chunk,
and the first bytes are sniffed as soon as they arrive, so a 2 GB text file is refused
after a few hundred bytes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from .errors import ServiceError
from .safety import SNIFF_BYTES, require_video

#: Room for the multipart envelope (boundaries, part headers) around the file itself.
_ENVELOPE_BYTES = 64 * 1024
_HEADER_BYTES = 8 * 1024
FILE_FIELD = "file"


@dataclass(frozen=True)
class Upload:
    path: Path
    filename: str


def _too_large(max_bytes: int) -> ServiceError:
    return ServiceError(413, "upload_too_large", f"the upload exceeds the server's limit of {max_bytes / 2**20:g} MB")


class _FilePart:
    """Callbacks for python-multipart that keep only the 'file' field, and check it on the way in."""

    def __init__(self, directory: Path, max_bytes: int):
        self.max_bytes = max_bytes
        self.path = directory / f"{uuid.uuid4().hex}.part"
        self.filename: str | None = None
        self.size = 0
        self.kind: str | None = None
        #: The file part's closing boundary arrived, so the file is whole.
        self.done = False
        self._out = None
        self._head = b""
        self._in_file = False
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add(data[start:end], "_header_name"),
            "on_header_value": lambda data, start, end: self._add(data[start:end], "_header_value"),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, data: bytes, attribute: str) -> None:
        value = getattr(self, attribute) + data
        if len(value) > _HEADER_BYTES:  # headers are held in memory, unlike the file
            raise ServiceError(400, "bad_request", "a multipart header is longer than 8 KiB")
        setattr(self, attribute, value)

    def _part_begin(self) -> None:
        self._disposition = b""

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._in_file = options.get(b"name") == FILE_FIELD.encode() and b"filename" in options
        if not self._in_file:
            return
        if self._out is not None:
            raise ServiceError(400, "bad_request", "send one video per request")
        raw = options[b"filename"].decode("utf-8", "replace")
        self.filename = Path(raw.replace("\\", "/")).name[:200] or "upload"
        self._out = self.path.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file:
            return
        chunk = data[start:end]
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _too_large(self.max_bytes)
        if self.kind is None:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self.kind = require_video(self._head)
        self._out.write(chunk)

    def _part_end(self) -> None:
        if self._in_file and self.kind is None:  # shorter than the sniff window
            if self.size == 0:
                raise ServiceError(400, "empty_file", "the uploaded file has zero bytes")
            self.kind = require_video(self._head)
        self.done = self.done or self._in_file
        self._in_file = False

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def receive_upload(request: Request, directory: Path, max_bytes: int) -> Upload:
    """Store the request's 'file' field under `directory`, named by its sniffed container."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + _ENVELOPE_BYTES:
        raise _too_large(max_bytes)
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise ServiceError(400, "bad_request", "the multipart Content-Type has no boundary")
    directory.mkdir(parents=True, exist_ok=True)
    part = _FilePart(directory, max_bytes)
    parser = MultipartParser(boundary, part.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes + _ENVELOPE_BYTES:
                raise _too_large(max_bytes)
            parser.write(chunk)
        parser.finalize()
        part.close()
        if part.filename is None:
            raise ServiceError(400, "bad_request", f"the form has no file in a field named '{FILE_FIELD}'")
        if not part.done:
            raise ServiceError(400, "bad_request", "the request body ended in the middle of the file")
        final = part.path.with_suffix("." + part.kind)
        part.path.rename(final)
        return Upload(final, part.filename)
    except FormParserError as error:
        raise ServiceError(400, "bad_request", f"the multipart body is malformed: {error}") from None
    finally:  # whatever went wrong (a refusal, a client gone mid-upload), no partial file stays behind
        part.close()
        part.path.unlink(missing_ok=True)
