"""Finding finevq's vocabulary in free text: distortion types, dimensions, level words.

Questions (`ask`) and justifications (`evaluate-text`) are read with these same finders, so
whatever the generator writes is read back the same way. Type names and aliases come from
the taxonomy; the only words added here are English forms a question uses ("stalls",
"frozen", "lags") and plain-language names of dimensions ("sharpness").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..taxonomy import DISTORTION_TYPES, QUALITY_LEVELS, SEVERITY_LEVELS, Dimension

_VERB_FORMS = {"lag": "lagging", "frozen": "stalling", "rebuffering": "stalling", "buffering": "stalling", "shaky": "shaking"}
_TYPE_KEYS: dict[str, str] = {k: d.name for d in DISTORTION_TYPES for k in (d.name, *d.aliases)} | _VERB_FORMS
_TYPE_RE = re.compile(
    r"\b(" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_TYPE_KEYS, key=len, reverse=True)) + r")(?:s|es|ed|d|ing)?\b",
    re.IGNORECASE,
)
_DIMENSION_RES: dict[Dimension, re.Pattern] = {
    dim: re.compile(rf"\b(?:{words})\b", re.IGNORECASE)
    for dim, words in {
        Dimension.COLOR: r"colou?rs?",
        Dimension.NOISE: r"noise|noisy",
        Dimension.ARTIFACT: r"artifacts?|artefacts?",
        Dimension.BLUR: r"blur|blurs|blurry|blurred|blurriness|sharpness",
        Dimension.TEMPORAL: r"temporal|fluency|smoothness",
        Dimension.OVERALL: r"overall",
    }.items()
}
_LEVEL_RE = re.compile(r"\b(" + "|".join(SEVERITY_LEVELS + QUALITY_LEVELS) + r")\b", re.IGNORECASE)
_NEGATION_RE = re.compile(r"\b(?:no|not|without|never|free of|lacks?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    #: A canonical type name, a Dimension, or a level word (lower case).
    value: str | Dimension


def find_types(text: str) -> list[Mention]:
    return [Mention(m.start(), m.end(), _TYPE_KEYS[" ".join(m.group(1).lower().split())]) for m in _TYPE_RE.finditer(text)]


def find_dimensions(text: str) -> list[Mention]:
    """Dimension words outside type names, so "motion blur" is a type, not a mention of blur."""
    taken = [(m.start, m.end) for m in find_types(text)]
    found = [
        Mention(m.start(), m.end(), dim)
        for dim, pattern in _DIMENSION_RES.items()
        for m in pattern.finditer(text)
        if not any(s <= m.start() < e for s, e in taken)
    ]
    return sorted(found, key=lambda m: m.start)


def find_levels(text: str) -> list[Mention]:
    return [Mention(m.start(), m.end(), m.group(1).lower()) for m in _LEVEL_RE.finditer(text)]


def is_negated(text: str, start: int) -> bool:
    """A negation among the three words before `start`, within the same comma-separated phrase."""
    phrase = re.split(r"[,;:]|\bbut\b|\bwhile\b", text[:start])[-1]
    return bool(_NEGATION_RE.search(" ".join(phrase.split()[-3:])))


def clauses(text: str) -> list[str]:
    """Sentences and contrasted halves ("..., while ..."): a level word belongs to a dimension in its own clause."""
    return [c for c in re.split(r"[.;!?\n]+|\bwhile\b|\bwhereas\b|\bbut\b", text) if c.strip()]
