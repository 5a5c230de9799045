"""The checks that stand between an untrusted request and the assessor.

File names and Content-Type headers are chosen by the client, so whether an upload is a
video is decided from its first bytes; a path is trusted only after symlinks are
resolved, because a link inside an allowed root can point anywhere.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from pathlib import Path

from .errors import ServiceError

#: Enough bytes for every signature below (an MPEG-TS needs its second sync byte at 188).
SNIFF_BYTES = 189

#: ISO-BMFF boxes that may open an MP4/MOV file; old QuickTime files do not start with ftyp.
_BMFF_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff_container(head: bytes) -> str | None:
    """The container a file's first bytes announce (its usual file extension), or None.

    Only containers that carry video are listed; a container that turns out to hold no
    video stream (an audio-only MP4) is left to the assessor, which reports it by code.
    """
    if head[4:8] in _BMFF_BOXES:
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "mkv"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if len(head) > 188 and head[0] == head[188] == 0x47:
        return "ts"
    if head.startswith(b"\x00\x00\x01\xba") or head.startswith(b"\x00\x00\x01\xb3"):
        return "mpg"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return "wmv"
    if head.startswith(b"OggS"):
        return "ogv"
    if head.startswith(b"DKIF"):
        return "ivf"
    if head.startswith(b"YUV4MPEG2 "):
        return "y4m"
    return None


def require_video(head: bytes) -> str:
    kind = sniff_container(head)
    if kind is None:
        raise ServiceError(415, "not_a_video", "the file does not start like any video container finevq reads (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV, WMV, Ogg, IVF, Y4M)")
    return kind


#: One message for every path outside the roots, existing or not, so answers reveal nothing about the rest of the disk.
_OUTSIDE = "the path is outside the allowed roots (symlinks followed)"


def resolve_allowed(path: str, roots: Sequence[Path]) -> Path:
    """The real file a client-named path points to, if it lies inside an allowed root.

    `..` is refused outright rather than normalised away, so a request never depends on
    how the server's directories happen to be laid out. A relative path is looked up
    under each root in order.
    """
    if not roots:
        raise ServiceError(403, "path_not_allowed", "assessing server-side paths is disabled; start the server with --allow-root DIR")
    if not path or "\x00" in path:
        raise ServiceError(400, "bad_request", "the path is empty or holds a NUL byte")
    given = Path(path)
    if ".." in given.parts:
        raise ServiceError(403, "path_not_allowed", "the path may not contain '..'")
    real_roots = [root.resolve() for root in roots]
    if given.is_absolute():
        if not any(given.is_relative_to(root) for root in (*roots, *real_roots)):
            raise ServiceError(403, "path_not_allowed", _OUTSIDE)  # refused before the disk is even looked at
        candidates = [given]
    else:
        candidates = [root / given for root in real_roots]
    for candidate in filter(Path.exists, candidates):
        real = candidate.resolve()
        if not any(real.is_relative_to(root) for root in real_roots):
            raise ServiceError(403, "path_not_allowed", _OUTSIDE)
        if not real.is_file():
            raise ServiceError(400, "not_a_file", "the path is a directory or a special file")
        return real
    raise ServiceError(404, "not_found", "no such file under the allowed roots")


def key_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so response timing does not reveal how much of a guess was right."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
