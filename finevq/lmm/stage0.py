"""Stage 0, VQA²'s distortion-recognition pre-training: synthetic clips with known distortions, simple questions.

Before the model is asked to rate, it learns to see: which distortion a clip shows and how
strong it is. `finevq.synth` knows both for every clip it makes, so the data costs no
labelling. Clips are written once and reused; the records are in `finevq instruct`'s
InternVL format, so the same data loader reads them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..synth.distortions import DISTORTIONS
from ..synth.video import make_test_video

QUESTIONS = (
    "Which distortion does this video show, and how strong is it?",
    "What kind of distortion can be seen in this video?",
    "Name the main distortion of this video and its severity.",
    "Is this video distorted? If so, by what and how much?",
)
ANSWER = "This video shows {severity} {type}."
CLEAN_ANSWER = "This video shows no distortion."
#: finevq.synth's five levels in severity words: its level 1 is KADID-10k's barely visible one.
SEVERITY = {1: "slight", 2: "slight", 3: "mild", 4: "strong", 5: "severe"}


class SyntheticSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: int = 4
    levels: list[int] = [1, 3, 5]
    #: finevq.synth registry names; None for all of them.
    distortions: list[str] | None = None
    width: int = 224
    height: int = 224
    seconds: float = 2.0
    fps: float = 24
    seed: int = 0


def corpus() -> Iterator[str]:
    yield from QUESTIONS
    yield CLEAN_ANSWER
    yield from (ANSWER.format(severity=s, type=d.taxonomy) for d in DISTORTIONS.values() for s in set(SEVERITY.values()))


def make_recognition_data(directory: str | Path, s: SyntheticSettings) -> Path:
    """Write (or reuse) the clips and a JSONL of recognition questions; returns the JSONL path."""
    directory = Path(directory)
    (directory / "clips").mkdir(parents=True, exist_ok=True)
    names = s.distortions if s.distortions is not None else list(DISTORTIONS)
    unknown = [n for n in names if n not in DISTORTIONS]
    if unknown:
        raise ValueError(f"unknown distortion(s) {unknown}; known: {', '.join(DISTORTIONS)}")
    rng = random.Random(s.seed)
    records = []
    for source in range(s.sources):
        seed = s.seed * 1000 + source
        for name, level in [(None, 0)] + [(n, lv) for n in names for lv in s.levels]:
            path = directory / "clips" / f"{name or 'clean'}_{level}_{seed}.mp4"
            if not path.exists():
                make_test_video(path, distortion=name, level=level, width=s.width, height=s.height,
                                seconds=s.seconds, fps=s.fps, seed=seed)
            answer = CLEAN_ANSWER if name is None else ANSWER.format(severity=SEVERITY[level], type=DISTORTIONS[name].taxonomy)
            records.append({"id": f"{path.name}#0", "video": str(path.resolve()), "type": "recognition",
                            "conversations": [{"from": "human", "value": rng.choice(QUESTIONS)}, {"from": "gpt", "value": answer}]})
    out = directory / "stage0.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return out
