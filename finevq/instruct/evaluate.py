"""Scoring free-text quality justifications the way S2I-Bench intends: are the claims right, and complete?

A text's claims are the distortion types it mentions (not negated) and the level words it
ties to a dimension within one clause. Precision is the share of claims the labels confirm,
recall the share of the labels the text mentions. Types and levels are scored apart and
together, because a text can name the right distortions and still misjudge how bad they are.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Iterable, Mapping

from ..taxonomy import DIMENSIONS, Dimension, distortion, levels_for
from .facts import VideoFacts
from .labels import read_labels
from .vocab import Mention, clauses, find_dimensions, find_levels, find_types, is_negated

_TEXT_KEYS = ("text", "prediction", "answer", "response", "output")


@dataclass(frozen=True)
class Claims:
    types: frozenset[str]
    levels: frozenset[tuple[Dimension, str]]


def extract_claims(text: str) -> Claims:
    types = {m.value for m in find_types(text) if not is_negated(text, m.start)}
    levels = set()
    for clause in clauses(text):
        # a type names its dimension too: in "strong motion blur", "strong" is about blur
        dims = find_dimensions(clause) + [Mention(m.start, m.end, distortion(m.value).dimension) for m in find_types(clause)]
        for level in find_levels(clause):
            fitting = [d for d in dims if level.value in levels_for(d.value)]
            if fitting and not is_negated(clause, level.start):
                nearest = min(fitting, key=lambda d: abs(d.start - level.start))
                levels.add((nearest.value, level.value))
    return Claims(frozenset(types), frozenset(levels))


@dataclass(frozen=True)
class Counts:
    hits: int = 0
    claimed: int = 0
    labelled: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.hits + other.hits, self.claimed + other.claimed, self.labelled + other.labelled)

    @property
    def precision(self) -> float | None:
        return self.hits / self.claimed if self.claimed else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.labelled if self.labelled else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return None if p is None or r is None or p + r == 0 else 2 * p * r / (p + r)


@dataclass(frozen=True)
class VideoTextScore:
    video: str
    #: None when the labels do not list types, so type claims cannot be judged.
    types: Counts | None
    levels: Counts
    wrong: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()

    @property
    def combined(self) -> Counts:
        return self.levels + (self.types or Counts())

    def as_dict(self) -> dict:
        return {"video": self.video, **_summary(self.types, self.levels, self.combined),
                "wrong": list(self.wrong), "missed": list(self.missed)}


@dataclass
class TextEvaluation:
    videos: list[VideoTextScore]
    #: Predictions whose video is not in the labels (matched by path, then by file name).
    unlabelled: list[str] = field(default_factory=list)

    def aggregate(self) -> dict:
        """Micro (pooled counts) and macro (mean over videos where defined) precision / recall / F1."""
        pooled = {
            "types": sum((v.types for v in self.videos if v.types), Counts()),
            "levels": sum((v.levels for v in self.videos), Counts()),
            "all": sum((v.combined for v in self.videos), Counts()),
        }
        per_video = {"types": [v.types for v in self.videos if v.types], "levels": [v.levels for v in self.videos],
                     "all": [v.combined for v in self.videos]}
        return {
            "videos": len(self.videos),
            "unlabelled_predictions": len(self.unlabelled),
            "micro": {part: _prf(c) for part, c in pooled.items()},
            "macro": {part: {m: _mean([getattr(c, m) for c in cs]) for m in ("precision", "recall", "f1")}
                      for part, cs in per_video.items()},
        }


def _prf(counts: Counts | None) -> dict | None:
    return None if counts is None else {"precision": counts.precision, "recall": counts.recall, "f1": counts.f1}


def _summary(types: Counts | None, levels: Counts, combined: Counts) -> dict:
    return {"types": _prf(types), "levels": _prf(levels), "all": _prf(combined)}


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return fmean(known) if known else None


def score_text(text: str, facts: VideoFacts) -> VideoTextScore:
    claims = extract_claims(text)
    true_levels = {(d, facts.levels[d]) for d in DIMENSIONS}
    present = set(facts.present_types())
    levels = Counts(len(claims.levels & true_levels), len(claims.levels), len(true_levels))
    wrong = [f"{d} {w}" for d, w in sorted(claims.levels - true_levels)]
    missed = [f"{d} {w}" for d, w in sorted(true_levels - claims.levels)]
    types = None
    if facts.types_known:
        types = Counts(len(claims.types & present), len(claims.types), len(present))
        wrong += sorted(claims.types - present)
        missed += sorted(present - claims.types)
    return VideoTextScore(facts.video, types, levels, tuple(wrong), tuple(missed))


def read_predictions(path: str | Path) -> dict[str, str]:
    """video -> text from JSONL: a text field (text/prediction/answer/response/output) or the last
    assistant turn of an InternVL/LLaVA/ShareGPT record. Several records of one video are joined."""
    texts: dict[str, list[str]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            video = record.get("video") or (record.get("videos") or [None])[0]
            text = next((record[k] for k in _TEXT_KEYS if isinstance(record.get(k), str)), None) or _last_reply(record)
            if not video or text is None:
                raise ValueError(f"{path}, line {number}: needs a video and a text ({', '.join(_TEXT_KEYS)} or a conversation)")
            texts[video].append(text)
    return {video: " ".join(parts) for video, parts in texts.items()}


def _last_reply(record: dict) -> str | None:
    turns = [t["value"] for t in record.get("conversations", []) if t.get("from") in ("gpt", "ai", "assistant")]
    turns += [m["content"] for m in record.get("messages", []) if m.get("role") == "assistant"]
    return turns[-1] if turns else None


def evaluate_text(
    predictions: str | Path | Mapping[str, str],
    labels: str | Path | Iterable[VideoFacts],
) -> TextEvaluation:
    """Score each predicted text against its video's labels."""
    if isinstance(predictions, (str, Path)):
        predictions = read_predictions(predictions)
    facts = read_labels(labels) if isinstance(labels, (str, Path)) else list(labels)
    by_path = {f.video: f for f in facts}
    by_name: dict[str, list[VideoFacts]] = defaultdict(list)
    for f in facts:
        by_name[Path(f.video).name].append(f)
    result = TextEvaluation([])
    for video, text in predictions.items():
        named = by_name.get(Path(video).name, [])
        match = by_path.get(video) or (named[0] if len(named) == 1 else None)
        if match is None:
            result.unlabelled.append(video)
        else:
            result.videos.append(score_text(text, match))
    return result
