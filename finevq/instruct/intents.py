"""What a question asks, as data: the parser produces these, the generator renders them.

Keeping the intent separate from its wording is what lets one answer function serve both
`ask` (text -> intent -> answer) and generation (intent -> text and answer), and lets the
tests check that every generated question parses back to the intent it was made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..taxonomy import Dimension


@dataclass(frozen=True)
class Rating:
    dimension: Dimension
    kind = "rating"


@dataclass(frozen=True)
class Score:
    dimension: Dimension
    scale: int = 100
    kind = "score"


@dataclass(frozen=True)
class Presence:
    """Yes/no: is the dimension (or one type, or anything when both are None) distorted?"""

    dimension: Dimension | None = None
    type: str | None = None
    kind = "yes_no"


@dataclass(frozen=True)
class LevelCheck:
    """Yes/no about a level word: "Is the color of this video good?"."""

    dimension: Dimension
    level: str
    kind = "yes_no"


@dataclass(frozen=True)
class Option:
    letter: str
    text: str
    #: A type name or a Dimension; None for FineVQ's "None" / "Video quality is good".
    value: str | Dimension | None


@dataclass(frozen=True)
class Choice:
    #: "type" (which distortion exists) or "dimension" (which has the greatest impact).
    subject: str
    options: tuple[Option, ...]

    @property
    def kind(self) -> str:
        return f"which_{self.subject}"


@dataclass(frozen=True)
class When:
    type: str
    kind = "when"


@dataclass(frozen=True)
class HowOften:
    type: str
    kind = "how_often"


@dataclass(frozen=True)
class StallingSummary:
    kind = "stall_summary"


@dataclass(frozen=True)
class Describe:
    kind = "description"


@dataclass(frozen=True)
class NotUnderstood:
    reason: str
    kind = "unsupported"


Intent = Union[Rating, Score, Presence, LevelCheck, Choice, When, HowOften, StallingSummary, Describe]

#: Every question type, with an example question, in the order help texts list them.
QUESTION_TYPES: dict[str, str] = {
    "rating": "Considering blur, how would you rate the quality level of this video?",
    "score": "Considering color, please give the quality score of this video.",
    "yes_no": "If there is no blur in the video, please answer [No]. If there is blur in the video, please answer [Yes].",
    "which_type": "Please select one distortion type from below options{A:[None], B:[motion blur], C:[over dark]}Just answer the corresponding letter.",
    "which_dimension": "Which distortion dimension has the greatest impact on video quality, choose from the following options{A:[Noise], B:[Video quality is good], C:[Blur]}(Just answer the corresponding letter)",
    "when": "When does the video stall?",
    "how_often": "How often does the camera shake?",
    "stall_summary": "Please summarize the stalling in this video.",
    "description": "Please describe the quality of this video in detail.",
}
