"""Decide which files may enter a study, without decoding them.

The browser plays the videos, so the kit only has to be sure a file is a video container a
browser might play: a known extension *and* the container's magic bytes. Both are needed
because extension alone lets thumbnails, subtitles or partial downloads slip in, and magic
alone would serve e.g. an MP4 named `.bin` with a MIME type the browser refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Extension -> container family expected in the file's first bytes.
VIDEO_EXTENSIONS: dict[str, str] = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".mkv": "matroska",
    ".webm": "matroska",
    ".avi": "avi",
}

#: What the server announces; AVI is accepted but most browsers cannot play it (create warns).
MIME_TYPES: dict[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".mkv": "video/x-matroska",
    ".webm": "video/webm",
    ".avi": "video/x-msvideo",
}

# ISO-BMFF files start with a box whose type is one of these; "ftyp" is the modern rule,
# the others appear first in old QuickTime files.
_ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}
_EBML = b"\x1a\x45\xdf\xa3"


def sniff(head: bytes) -> str | None:
    """Container family from a file's first 12 bytes, or None when it is none we accept."""
    if len(head) >= 8 and head[4:8] in _ISO_BOXES:
        return "mp4"
    if head.startswith(_EBML):
        return "matroska"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return None


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def check(path: Path) -> str | None:
    """Why `path` cannot be a study video, or None when it can."""
    expected = VIDEO_EXTENSIONS.get(path.suffix.lower())
    if expected is None:
        return f"extension {path.suffix or '(none)'} is not a video extension"
    with path.open("rb") as f:
        head = f.read(12)
    found = sniff(head)
    if found is None:
        return "content is not MP4/MOV, MKV/WebM or AVI"
    if found != expected:
        return f"content is {found} but the extension says {expected}"
    return None


def collect(sources: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """Video files under the given files/folders (recursively, sorted) and the files refused."""
    accepted: list[Path] = []
    skipped: list[Skipped] = []
    for source in sources:
        if not source.exists():
            skipped.append(Skipped(source, "does not exist"))
            continue
        files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in files:
            reason = check(path)
            if reason is None:
                accepted.append(path)
            else:
                skipped.append(Skipped(path, reason))
    return accepted, skipped


def mime_type(path: str | Path) -> str:
    return MIME_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")
