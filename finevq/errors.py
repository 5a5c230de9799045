"""Errors as values with stable codes: a video that cannot be assessed becomes a record, not a crash.

Codes are part of the public contract (batch summaries group by them, the HTTP service
returns them), so they only ever get added, never renamed.
"""

from __future__ import annotations

ERROR_CODES: dict[str, str] = {
    "not_found": "the path does not exist",
    "not_a_file": "the path is a directory or a special file",
    "empty_file": "the file has zero bytes",
    "not_a_video": "the file is not a media container finevq can open",
    "no_video_stream": "the container has no video stream (audio-only, subtitles, ...)",
    "unsupported_codec": "no decoder for the video stream's codec",
    "truncated": "the stream ends early or is damaged so that too few frames decode",
    "decode_failed": "the decoder failed on the stream",
    "too_small": "the picture is smaller than the minimum finevq can measure",
    "too_large": "the picture or duration exceeds the configured limits",
    "timeout": "assessment took longer than the per-video limit",
    "internal": "an unexpected error inside finevq (a bug: please report it)",
}


class AssessmentError(Exception):
    """A per-video failure with a stable code from ERROR_CODES."""

    def __init__(self, code: str, message: str):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
