"""The result of assessing one video: one pydantic model shared by every assessor and consumer.

The fast assessor and the LMM assessor both produce `Assessment`; the CLI, batch engines,
HTTP service, instruction generator and evaluation only read it. Bumping
`SCHEMA_VERSION` is how consumers learn that the shape changed.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, SEVERITY_LEVELS, Dimension, distortion, level_of, levels_for

SCHEMA_VERSION = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class ModelInfo(_Model):
    name: str
    version: str


class VideoInfo(_Model):
    """Technical facts from the container and stream headers (and the decode, for frame_count)."""

    duration: float | None = Field(None, description="seconds")
    fps: float | None = Field(None, description="nominal frames per second")
    frame_count: int | None = Field(None, description="frames actually decoded")
    width: int = Field(description="display width after rotation")
    height: int = Field(description="display height after rotation")
    codec: str
    pixel_format: str | None = None
    bit_depth: int | None = None
    rotation: int = Field(0, description="degrees clockwise applied for display")
    interlaced: bool | None = None
    variable_frame_rate: bool | None = None
    container: str | None = None
    bitrate: int | None = Field(None, description="bits per second")


class DetectedDistortion(_Model):
    type: str = Field(description="FineVD taxonomy name")
    severity: Literal["slight", "mild", "strong", "severe"]
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return distortion(value).name


class DimensionResult(_Model):
    score: float = Field(ge=0.0, le=100.0, description="0-100, higher is better")
    level: str
    distortions: list[DetectedDistortion] | None = Field(
        None, description="present distortions, most severe first; null for overall"
    )


class Event(_Model):
    kind: Literal["freeze", "stall", "shake", "flicker", "drop", "scene_cut"]
    start: float = Field(description="seconds")
    end: float = Field(description="seconds")


class StallSummary(_Model):
    """VQA²'s stalling summary: how often and how long the picture stops."""

    count: int
    total_seconds: float
    longest_seconds: float
    share: float = Field(ge=0.0, le=1.0, description="stalled share of the duration")


class Timeline(_Model):
    """Per-second view, so a user can see when quality drops (second i covers [i, i+1))."""

    seconds: list[float]
    scores: dict[Dimension, list[float | None]]
    events: list[Event] = []


class ErrorInfo(_Model):
    code: str = Field(description="stable machine-readable code, e.g. 'truncated', 'not_a_video'")
    message: str


class Assessment(_Model):
    schema_version: str = SCHEMA_VERSION
    video: str = Field(description="the path as given")
    model: ModelInfo
    info: VideoInfo | None = None
    dimensions: dict[Dimension, DimensionResult] | None = None
    most_impactful: Dimension | None = Field(None, description="the dimension that hurts overall most; null when good")
    description: str | None = None
    timeline: Timeline | None = None
    stalls: StallSummary | None = None
    unmeasured: list[str] = Field(default_factory=list, description="what could not be measured, and why")
    signals: dict[str, float] | None = Field(None, description="the measured signals behind the scores")
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _complete_or_failed(self) -> "Assessment":
        if self.error is not None:
            if self.dimensions is not None:
                raise ValueError("a failed assessment carries no dimensions")
            return self
        if self.dimensions is None or set(self.dimensions) != set(DIMENSIONS):
            raise ValueError(f"dimensions must have exactly the keys {[d.value for d in DIMENSIONS]}")
        for dim, result in self.dimensions.items():
            if result.level not in levels_for(dim):
                raise ValueError(f"{dim}: level {result.level!r} is not one of {levels_for(dim)}")
            if (result.distortions is None) != (dim is Dimension.OVERALL):
                raise ValueError(f"{dim}: distortions must be a list for distortion dimensions, null for overall")
            for found in result.distortions or []:
                if distortion(found.type).dimension is not dim:
                    raise ValueError(f"{found.type!r} is not a {dim} distortion")
        return self

    @property
    def ok(self) -> bool:
        return self.error is None

    def score(self, dimension: Dimension | str) -> float:
        return self.dimensions[Dimension(dimension)].score  # type: ignore[index]

    def to_json(self, **kwargs) -> str:
        return self.model_dump_json(exclude_none=True, **kwargs)

    @classmethod
    def failure(cls, video: str, model: ModelInfo, code: str, message: str, info: VideoInfo | None = None) -> "Assessment":
        return cls(video=video, model=model, info=info, error=ErrorInfo(code=code, message=message))


def dimension_result(dimension: Dimension, score: float, distortions: list[DetectedDistortion] | None) -> DimensionResult:
    """Build a result with the level derived from the score, so the two can never disagree."""
    score = round(float(min(100.0, max(0.0, score))), 2)
    if dimension is Dimension.OVERALL:
        distortions = None
    elif distortions is None:
        distortions = []
    return DimensionResult(score=score, level=level_of(dimension, score), distortions=distortions)


def json_schema() -> str:
    return json.dumps(Assessment.model_json_schema(), indent=2)


__all__ = [
    "SCHEMA_VERSION",
    "Assessment",
    "DetectedDistortion",
    "DimensionResult",
    "ErrorInfo",
    "Event",
    "ModelInfo",
    "StallSummary",
    "Timeline",
    "VideoInfo",
    "dimension_result",
    "json_schema",
    "DISTORTION_DIMENSIONS",
    "SEVERITY_LEVELS",
]
