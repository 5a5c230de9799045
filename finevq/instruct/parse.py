"""Question text -> intent, for FineVQ's released prompts, VQA²-style choices and finevq's own paraphrases.

Rules run from the most specific to the most general (choices, stalling summary, how often,
when, score, description, yes/no, rating), so "Does the video stall, and how often?" is a
count and not a yes/no. Anything that does not fit a rule comes back as `NotUnderstood`
with the reason: answering a question we only half read would be a guess.
"""

from __future__ import annotations

import re

from ..taxonomy import DISTORTION_DIMENSIONS, Dimension, distortion, levels_for
from .facts import TIMED_TYPES
from .intents import (
    Choice, Describe, HowOften, Intent, LevelCheck, NotUnderstood, Option, Presence, Rating, Score, StallingSummary, When,
)
from .templates import GOOD_OPTION, NO_TYPE_OPTION
from .vocab import find_dimensions, find_levels, find_types

_MEDIA = re.compile(r"<\|?(?:video|image|motion)\|?>", re.IGNORECASE)
_BRACE_OPTION = re.compile(r"\b([A-E])\s*:\s*\[([^\]]*)\]")
_LINE_OPTION = re.compile(r"^\s*\(?([A-E])[.):]\s+(.+?)\s*$", re.MULTILINE)
_INLINE_OPTION = re.compile(r"(?:^|\s)\(?([A-E])[.)]\s+(.+?)(?=\s+\(?[A-E][.)]\s|$)", re.DOTALL)
_NONE_OPTIONS = {NO_TYPE_OPTION.lower(), GOOD_OPTION.lower(), "none of the above", "none of them", "no distortion",
                 "the video quality is good", "good quality", "quality is good"}

_SUMMARY = re.compile(r"summar|statistic|overview|how long", re.IGNORECASE)
_HOW_OFTEN = re.compile(r"how often|how many|how frequent|\bcount\b|number of", re.IGNORECASE)
_WHEN = re.compile(r"\bwhen\b|at what (?:time|moment|point)|at which (?:time|moment|point|second)|which seconds?|time spans?",
                   re.IGNORECASE)
_SCORE = re.compile(r"\bscores?\b|\bpoints\b|\bnumerical\b|\bmos\b", re.IGNORECASE)
_FIVE_POINT = re.compile(r"\b1\s*(?:to|-|–)\s*5\b|five-point|5-point", re.IGNORECASE)
_DESCRIBE = re.compile(r"\bdescribe\b|\bdescription\b|\bexplain|\bdetail|\bjustif|\breasoning\b|\banaly[sz]e"
                       r"|dimension by dimension|step by step|\bwhy\b", re.IGNORECASE)
_YES_NO = re.compile(r"\[yes\]|\[no\]|\byes or no\b|\byes/no\b|^(?:is|are|does|do|has|have|can|could|did|was|were)\b",
                     re.IGNORECASE)
_ANY_DISTORTION = re.compile(r"distort|degrad", re.IGNORECASE)
_RATING = re.compile(r"\brat(?:e|ing)\b|\blevel\b|\bhow (?:good|is|are|would)\b|\bquality\b", re.IGNORECASE)


def parse_question(text: str) -> Intent | NotUnderstood:
    question = _MEDIA.sub(" ", text).replace("\ufeff", "").strip()
    stem, options = split_options(question)
    if options:
        return _choice(options)
    timed = [m.value for m in find_types(stem) if m.value in TIMED_TYPES]
    if timed and _SUMMARY.search(stem) and "stalling" in timed:
        return StallingSummary()
    timing = bool(_HOW_OFTEN.search(stem) or _WHEN.search(stem))
    if timing and timed:
        if len(set(timed)) > 1:
            return NotUnderstood("it asks about several timed distortions at once; ask about one")
        return HowOften(timed[0]) if _HOW_OFTEN.search(stem) else When(timed[0])
    dims = {m.value for m in find_dimensions(stem)}
    types = list(dict.fromkeys(m.value for m in find_types(stem)))
    if _SCORE.search(stem):
        return _with_dimension(dims, types, lambda d: Score(d, 5 if _FIVE_POINT.search(stem) else 100))
    if _DESCRIBE.search(stem):
        return Describe()
    if _YES_NO.search(stem.strip()):
        return _yes_no(stem, dims, types)
    if _RATING.search(stem):
        return _with_dimension(dims, types, Rating)
    if timing:
        return NotUnderstood("'when' and 'how often' are answered for stalling, shaking, flickering and lagging")
    return NotUnderstood("it is not one of the question types below")


def split_options(question: str) -> tuple[str, list[tuple[str, str]]]:
    """The question stem and its lettered options, in FineVQ's {A:[...]} style, one per line, or inline."""
    for pattern in (_BRACE_OPTION, _LINE_OPTION, _INLINE_OPTION):
        found = [(m.group(1), m.group(2).strip(), m.start()) for m in pattern.finditer(question)]
        letters = [f[0] for f in found]
        if len(found) >= 2 and letters == list("ABCDE"[: len(found)]):
            return question[: found[0][2]], [(letter, option) for letter, option, _ in found]
    return question, []


def _classify(text: str) -> tuple[str, str | Dimension | None]:
    lowered = " ".join(text.lower().split())
    if lowered in _NONE_OPTIONS:
        return "none", None
    try:
        return "type", distortion(lowered).name
    except KeyError:
        pass
    dims = {m.value for m in find_dimensions(lowered)}
    if len(dims) == 1 and len(lowered.split()) <= 3:
        return "dimension", dims.pop()
    return "unknown", None


def _choice(options: list[tuple[str, str]]) -> Choice | NotUnderstood:
    classified = [(letter, text, *_classify(text)) for letter, text in options]
    unknown = [f"{letter} ({text!r})" for letter, text, kind, _ in classified if kind == "unknown"]
    if unknown:
        return NotUnderstood(f"option {', '.join(unknown)} is neither a distortion type, a dimension, nor "
                             f"'{NO_TYPE_OPTION}' / '{GOOD_OPTION}'")
    kinds = {kind for _, _, kind, _ in classified} - {"none"}
    if len(kinds) != 1:
        return NotUnderstood("the options must be all distortion types or all dimensions")
    dims_or_types = [value for _, _, kind, value in classified if kind != "none"]
    if Dimension.OVERALL in dims_or_types:
        return NotUnderstood("'overall' cannot be the dimension that affects overall quality most")
    return Choice(kinds.pop(), tuple(Option(letter, text, value) for letter, text, _, value in classified))


def _named(dims: set[Dimension], types: list[str]) -> set[Dimension]:
    """The dimensions a question is about: those it names ("overall" aside), else those of the types it names."""
    return (dims - {Dimension.OVERALL}) or {distortion(t).dimension for t in types}


_SEVERAL = "it asks about several dimensions at once; ask about one"


def _with_dimension(dims: set[Dimension], types: list[str], make) -> Intent | NotUnderstood:
    named = _named(dims, types)
    if len(named) > 1:
        return NotUnderstood(_SEVERAL)
    return make(named.pop() if named else Dimension.OVERALL)


def _yes_no(stem: str, dims: set[Dimension], types: list[str]) -> Intent | NotUnderstood:
    named = _named(dims, types)
    if len(named) > 1:
        return NotUnderstood(_SEVERAL)
    dim = named.pop() if named else None
    levels = [m.value for m in find_levels(stem)]
    target = dim or Dimension.OVERALL
    if levels:
        if len(set(levels)) > 1 or levels[0] not in levels_for(target):
            return NotUnderstood(f"the level words {', '.join(sorted(set(levels)))} do not fit {target}'s scale "
                                 f"({', '.join(levels_for(target))})")
        return LevelCheck(target, levels[0])
    if len(types) > 1:
        return NotUnderstood("it asks about several distortion types at once; ask about one")
    if types:
        return Presence(type=types[0])
    if dim in DISTORTION_DIMENSIONS:
        return Presence(dimension=dim)
    if _ANY_DISTORTION.search(stem):
        return Presence()
    return NotUnderstood("a yes/no question must name a dimension, a distortion type or a level word")
