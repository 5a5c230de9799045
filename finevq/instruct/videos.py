"""SIG's first step: give unlabeled videos labels by assessing them with the fast assessor.

The assessor is imported when called, so generating from a labels file never loads the
video stack. Videos that fail to assess are returned as their failed assessments rather
than dropped silently, so the caller can say how many and why.
"""

from __future__ import annotations

from pathlib import Path

from ..schema import Assessment
from .facts import VideoFacts, facts_from_assessment

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".flv", ".ts", ".mpg", ".mpeg", ".3gp", ".y4m"})


def find_videos(directory: str | Path) -> list[Path]:
    """Video files under `directory` (recursively), sorted so labels come out in a stable order."""
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)


def label_videos(directory: str | Path) -> tuple[list[VideoFacts], list[Assessment]]:
    """(facts of the videos that were assessed, failed assessments)."""
    from finevq import Assessor

    assessor = Assessor()
    labelled, failed = [], []
    for path in find_videos(directory):
        assessment = assessor.assess(str(path))
        if assessment.ok:
            labelled.append(facts_from_assessment(assessment))
        else:
            failed.append(assessment)
    return labelled, failed
