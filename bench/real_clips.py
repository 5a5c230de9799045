"""What the benches that distort clean real clips with FFmpeg share: finding the clips in
../shared (they skip cleanly without it), running FFmpeg, and the "score falls" rule."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "data" / "sources"


def ffmpeg(*args: str) -> None:
    # SVT_LOG=1: SVT-AV1 prints its banner past FFmpeg's log level unless told errors only
    subprocess.run(["ffmpeg", "-y", "-v", "error", *args], check=True, env={**os.environ, "SVT_LOG": "1"})


def falls(scores: list[float]) -> bool:
    """No step up by more than a point (re-encoding noise), and 10+ points in all."""
    return all(b <= a + 1.0 for a, b in zip(scores, scores[1:])) and scores[-1] <= scores[0] - 10.0


def clips_and_assessor(doc: str, names: tuple[str, ...]):
    """Parse --sources and --model; return (model name, clips found, assessor), or None
    (after saying so) when none of the clips is there."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, default=SOURCES)
    parser.add_argument("--model", default="fast")
    args = parser.parse_args()
    clips = [args.sources / c for c in names if (args.sources / c).exists()]
    if not clips:
        print(f"skipped: none of {', '.join(names)} in {args.sources}")
        return None
    from finevq.assessors import create_assessor

    return args.model, clips, create_assessor(args.model)
