"""The "lmm" assessor (``--model lmm:PATH``) and the model behind ``finevq ask --model lmm:PATH``.

Scores come from level-word probabilities (or the regression head), one batched pass for
the six dimensions; the description is generated, and the distortion types it names are
read back with the same finders `evaluate-text` uses, so the result fills the same schema
as the fast assessor's. Nothing heavy is imported until a model is created: registering
the name must cost nothing for users of the fast assessor.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..assessors import register
from ..assessors.base import Assessor
from ..describe import describe
from ..instruct import templates as T
from ..instruct.answers import Answer
from ..instruct.evaluate import extract_claims
from ..instruct.intents import Choice, LevelCheck, NotUnderstood, Presence, Rating, Score
from ..instruct.parse import parse_question
from ..instruct.vocab import find_levels
from ..schema import Assessment, DetectedDistortion, ModelInfo, dimension_result
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, SEVERITY_LEVELS, distortion, level_index, levels_for
from .config import CONFIG_FILE
from .tokens import NUMBER

DESCRIBE_QUESTION = T.DESCRIPTION[0].text


class LMMUnavailable(NotImplementedError):
    """The LMM cannot run here: the optional dependencies are missing or PATH is no LMM directory."""


def _engine(path: str, device: str | None = None):
    if not (Path(path) / CONFIG_FILE).is_file():
        raise LMMUnavailable(f"{path} is not a finevq LMM directory (no {CONFIG_FILE}); make one with `finevq lmm init`")
    try:
        from .engine import LMM
    except ImportError as error:
        raise LMMUnavailable(f"the LMM needs the 'lmm' extra (pip install 'finevq[lmm]'): {error}") from None
    return LMM.load(path, device)


class LMMAssessor(Assessor):
    def __init__(self, path: str, device: str | None = None, generate_description: bool = True):
        self.engine = _engine(path, device)
        self.generate_description = generate_description
        self.model_info = ModelInfo(name="finevq-lmm", version=f"{__version__}+{Path(path).resolve().name}")

    def _assess(self, path: str) -> Assessment:
        clip = self.engine.read(path)
        media = self.engine.media(clip)
        scores = self.engine.score(clip, media)
        text = self.engine.ask(clip, media, DESCRIBE_QUESTION) if self.generate_description else ""
        named = extract_claims(text).types
        dimensions = {}
        for dim in DIMENSIONS:
            result = scores[dim]
            # how sure the model is that the dimension is below its best level
            confidence = 1.0 - result.probabilities[0] if result.probabilities else min(1.0, (100.0 - result.score) / 80.0)
            severity = SEVERITY_LEVELS[max(1, level_index(result.score))]
            found = [DetectedDistortion(type=t, severity=severity, confidence=round(max(0.0, confidence), 4))
                     for t in sorted(named) if distortion(t).dimension is dim]
            dimensions[dim] = dimension_result(dim, result.score, found)
        distorted = [d for d in DISTORTION_DIMENSIONS if level_index(dimensions[d].score) > 0 or dimensions[d].distortions]
        assessment = Assessment(
            video=path, model=self.model_info, info=clip.info, dimensions=dimensions,
            most_impactful=min(distorted, key=lambda d: dimensions[d].score) if distorted else None,
            unmeasured=clip.notes + ["timeline: the LMM assessor scores the whole video, not each second"],
        )
        assessment.description = text or describe(assessment)
        return assessment


@register("lmm")
def _create(argument: str | None = None, **options) -> LMMAssessor:
    if not argument:
        raise ValueError("the LMM assessor needs its model directory: --model lmm:PATH")
    return LMMAssessor(argument, **options)


@lru_cache(maxsize=1)
def _cached_engine(path: str):
    return _engine(path)


def answer_question(weights: str, video: str, question: str) -> Answer:
    """A generated answer, typed by finevq's question parser; `value` is read from the text where the type has one."""
    engine = _cached_engine(str(Path(weights).resolve()))
    clip = engine.read(video)
    text = engine.ask(clip, engine.media(clip), question)
    intent = parse_question(question)
    kind = "open" if isinstance(intent, NotUnderstood) else intent.kind
    return Answer(kind, text, _short_value(intent, text))


def _short_value(intent, text: str):
    if isinstance(intent, Rating):
        return next((m.value for m in find_levels(text) if m.value in levels_for(intent.dimension)), None)
    if isinstance(intent, (Presence, LevelCheck)):
        word = text.strip().split(" ")[0].strip(".,!").capitalize() if text.strip() else ""
        return word if word in ("Yes", "No") else None
    if isinstance(intent, Choice):
        letter = text.strip()[:1].upper()
        return letter if letter and letter in "ABCDE" else None
    if isinstance(intent, Score):
        number = NUMBER.search(text)
        return float(number.group()) if number else None
    return None

