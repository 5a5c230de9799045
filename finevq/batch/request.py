"""Whether a `finevq assess` command line is a batch: decided from names alone, before any
batch machinery loads."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson")


def is_manifest(name: str) -> bool:
    return name == "-" or Path(name).suffix.lower() in MANIFEST_SUFFIXES


def is_batch(videos: Sequence[str], output: str | None, batch_options: bool) -> bool:
    """Plain video files with no batch option keep the original behaviour (print or write assessments)."""
    if batch_options or any(is_manifest(v) or Path(v).is_dir() for v in videos):
        return True
    if output is None:
        return False
    return Path(output).suffix.lower() == ".parquet" or output.endswith(("/", os.sep)) or Path(output).is_dir()
