"""The rating form: what the page asks, what counts as a complete answer, reference levels.

Everything here is derived from `finevq.taxonomy`; the page builds its form from
`form_config()` so that adding a distortion type to the taxonomy changes the form, the
validation and the MOS columns together. The only text that lives here is what the
taxonomy has no place for: the plain-language hints that tell annotators what each level
and dimension mean.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..taxonomy import (
    DIMENSIONS,
    DISTORTION_DIMENSIONS,
    QUALITY_LEVELS,
    SEVERITY_LEVELS,
    Dimension,
    distortion,
    distortions_of,
    levels_for,
)

#: The tick that states "no distortion of this dimension seen"; never a taxonomy type.
NONE = "none"
MAX_NOTE_CHARS = 500

_SEVERITY_HINTS = (
    "not visible at all",
    "visible only when looking for it",
    "noticeable, but does not disturb watching",
    "clearly disturbing",
    "dominates the picture",
)
_QUALITY_HINTS = (
    "nothing to criticise",
    "small flaws that are hardly noticed",
    "flaws are noticed but acceptable",
    "flaws are annoying",
    "very annoying, hardly watchable",
)
LEVEL_HINTS: dict[str, str] = dict(zip(SEVERITY_LEVELS, _SEVERITY_HINTS)) | dict(zip(QUALITY_LEVELS, _QUALITY_HINTS))

QUESTIONS: dict[Dimension, str] = {
    Dimension.COLOR: "How good are the colours: saturation, brightness, contrast, colour cast?",
    Dimension.NOISE: "How much noise is there: grain, speckles, stripes?",
    Dimension.ARTIFACT: "How strong are artifacts: compression blocks, ringing, banding, moire?",
    Dimension.BLUR: "How blurred is the picture: focus, motion, low resolution?",
    Dimension.TEMPORAL: "How good is the motion: shaking, lagging, stalling, flickering?",
    Dimension.OVERALL: "Taking everything together, how good is the video's quality?",
}


def other_type(dimension: Dimension) -> str:
    """The dimension's "other ..." type, which carries the annotator's free text."""
    return next(d.name for d in distortions_of(dimension) if not d.measurable)


def form_config() -> list[dict]:
    """The form as JSON for the page: one entry per dimension, best level first."""
    form = []
    for dim in DIMENSIONS:
        entry = {
            "dimension": dim.value,
            "question": QUESTIONS[dim],
            "levels": [{"name": name, "hint": LEVEL_HINTS[name]} for name in levels_for(dim)],
            "types": [],
        }
        if dim in DISTORTION_DIMENSIONS:
            entry["types"] = [d.name for d in distortions_of(dim)]
            entry["other"] = other_type(dim)
        form.append(entry)
    return form


class SubmissionError(ValueError):
    """A rating that the form should not have let through; the messages say what to fix."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Answer:
    #: level index per dimension, 0 = best.
    levels: dict[Dimension, int]
    #: canonical taxonomy names ticked per distortion dimension; empty = "none".
    ticks: dict[Dimension, tuple[str, ...]]
    #: free text per "other ..." type that was ticked.
    notes: dict[str, str]


def parse_answer(levels: dict[str, str], ticks: dict[str, list[str]], notes: dict[str, str]) -> Answer:
    """Check a submitted form against the taxonomy; every problem is reported at once."""
    problems: list[str] = []
    known = {d.value for d in DIMENSIONS}
    for key in (levels.keys() | ticks.keys() | notes.keys()) - known:
        problems.append(f"unknown dimension {key!r}")

    level_index: dict[Dimension, int] = {}
    for dim in DIMENSIONS:
        word = levels.get(dim.value)
        if word is None:
            problems.append(f"missing level for {dim}")
        elif word not in levels_for(dim):
            problems.append(f"unknown level {word!r} for {dim}; one of {', '.join(levels_for(dim))}")
        else:
            level_index[dim] = levels_for(dim).index(word)

    ticked: dict[Dimension, tuple[str, ...]] = {}
    for dim in DISTORTION_DIMENSIONS:
        names = ticks.get(dim.value)
        if not names:
            problems.append(f"no distortion types for {dim}: tick the types seen or {NONE!r}")
            continue
        if NONE in names:
            if len(names) > 1:
                problems.append(f"{dim}: {NONE!r} cannot be ticked together with distortion types")
            ticked[dim] = ()
            continue
        canonical = []
        for name in names:
            try:
                kind = distortion(name)
            except KeyError:
                problems.append(f"unknown distortion type {name!r}")
                continue
            if kind.dimension is not dim:
                problems.append(f"{kind.name!r} is a {kind.dimension} distortion, not {dim}")
            elif kind.name not in canonical:
                canonical.append(kind.name)
        ticked[dim] = tuple(canonical)
    if Dimension.OVERALL.value in ticks:
        problems.append("overall has no distortion types")

    clean_notes: dict[str, str] = {}
    for key, text in notes.items():
        if key not in known or not text.strip():
            continue
        dim = Dimension(key)
        if dim not in DISTORTION_DIMENSIONS:
            problems.append(f"{dim} takes no note")
        elif other_type(dim) not in ticked.get(dim, ()):
            problems.append(f"a note for {dim} needs {other_type(dim)!r} ticked")
        elif len(text) > MAX_NOTE_CHARS:
            problems.append(f"note for {dim} is longer than {MAX_NOTE_CHARS} characters")
        else:
            clean_notes[other_type(dim)] = text.strip()

    if problems:
        raise SubmissionError(problems)
    return Answer(level_index, ticked, clean_notes)


@dataclass(frozen=True)
class Reference:
    """What the study owner states about a video: expected levels for a control, or the
    levels shown next to a training example."""

    path: Path
    levels: dict[Dimension, int]
    distortions: tuple[str, ...]
    note: str


def read_references(csv_path: Path) -> list[Reference]:
    """Rows of `video,<dimension level words...>[,distortions][,note]`.

    Video paths are relative to the CSV's folder so that a study folder can be moved whole.
    Empty level cells mean "no expectation for this dimension".
    """
    references = []
    with csv_path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "video" not in reader.fieldnames:
            raise ValueError(f"{csv_path}: needs a 'video' column")
        for line, row in enumerate(reader, start=2):
            levels = {}
            for dim in DIMENSIONS:
                word = (row.get(dim.value) or "").strip().lower()
                if not word:
                    continue
                if word not in levels_for(dim):
                    raise ValueError(f"{csv_path}:{line}: {word!r} is not a {dim} level ({', '.join(levels_for(dim))})")
                levels[dim] = levels_for(dim).index(word)
            try:
                types = tuple(distortion(t).name for t in (row.get("distortions") or "").split(";") if t.strip())
            except KeyError as error:
                raise ValueError(f"{csv_path}:{line}: {error.args[0]}") from None
            path = Path(row["video"].strip())
            path = path if path.is_absolute() else csv_path.parent / path
            references.append(Reference(path, levels, types, (row.get("note") or "").strip()))
    return references
