"""The one place that defines finevq's vocabulary: dimensions, levels, distortion types.

Everything else (result schema, heads, descriptions, instruction data, synthetic
benchmark, study kit) reads these tables, so adding a distortion type is one entry here.
The names follow FineVD's released questions; FineVD's misspellings ("gussian noise",
"sqaure artifact", ...) are accepted as aliases so its files parse, but never written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class Dimension(str, Enum):
    COLOR = "color"
    NOISE = "noise"
    ARTIFACT = "artifact"
    BLUR = "blur"
    TEMPORAL = "temporal"
    OVERALL = "overall"

    def __str__(self) -> str:  # so f-strings and CSV headers read "blur", not "Dimension.BLUR"
        return self.value


DIMENSIONS: tuple[Dimension, ...] = tuple(Dimension)
#: The five dimensions that have distortion types; overall is judged from them.
DISTORTION_DIMENSIONS: tuple[Dimension, ...] = tuple(d for d in Dimension if d is not Dimension.OVERALL)

#: FineVQ rates noise/artifact/blur by how distorted they are, color/temporal/overall by
#: how good they are. Both scales run best first, one level per 20-point score band.
SEVERITY_LEVELS: tuple[str, ...] = ("undistorted", "slight", "mild", "strong", "severe")
QUALITY_LEVELS: tuple[str, ...] = ("excellent", "good", "fair", "poor", "bad")
_SEVERITY_SCALED = {Dimension.NOISE, Dimension.ARTIFACT, Dimension.BLUR}


def levels_for(dimension: Dimension | str) -> tuple[str, ...]:
    """The five level words of a dimension, best first."""
    return SEVERITY_LEVELS if Dimension(dimension) in _SEVERITY_SCALED else QUALITY_LEVELS


def level_index(score: float) -> int:
    """0 (best) .. 4 (worst) for a 0-100 score in 20-point bands, each band closed below:
    80-100 is the best band, 60-80 the next, ..., 0-20 the worst."""
    return min(4, max(0, math.ceil((100.0 - float(score)) / 20.0) - 1))


def level_of(dimension: Dimension | str, score: float) -> str:
    return levels_for(dimension)[level_index(score)]


def level_center(index: int) -> float:
    """The score in the middle of a level's band (90, 70, 50, 30, 10)."""
    return 90.0 - 20.0 * index


@dataclass(frozen=True)
class DistortionType:
    name: str
    dimension: Dimension
    #: Which analysis path can see it: spatial (single frames) or motion (frame to frame).
    path: str
    aliases: tuple[str, ...] = ()
    #: Types named "other ..." exist in FineVD's questions but no signal measures them.
    measurable: bool = True


def _t(name: str, dim: Dimension, path: str = "spatial", aliases: tuple[str, ...] = (), measurable: bool = True):
    return DistortionType(name, dim, path, aliases, measurable)


_C, _N, _A, _B, _T = (Dimension.COLOR, Dimension.NOISE, Dimension.ARTIFACT, Dimension.BLUR, Dimension.TEMPORAL)

DISTORTION_TYPES: tuple[DistortionType, ...] = (
    _t("low saturation", _C),
    _t("high saturation", _C),
    _t("over dark", _C),
    _t("over bright", _C),
    _t("low contrast ratio", _C, aliases=("low contrast",)),
    _t("high contrast ratio", _C, aliases=("high contrast",)),
    _t("color cast", _C),
    _t("other color distortion", _C, measurable=False),
    _t("gaussian noise", _N, aliases=("gussian noise", "guassian noise")),
    _t("pulse noise", _N, aliases=("impulse noise", "salt and pepper noise")),
    _t("stripe noise", _N),
    _t("temporal noise", _N, path="motion", aliases=("film grain",)),
    _t("other noise", _N, measurable=False),
    _t("compression artifact", _A),
    _t("square artifact", _A, aliases=("sqaure artifact", "block artifact", "blocking")),
    _t("ring artifact", _A, aliases=("ringing",)),
    _t("banding", _A, aliases=("false contour",)),
    _t("moire pattern", _A, aliases=("moire", "aliasing")),
    _t("other artifact", _A, measurable=False),
    _t("resolution blur", _B),
    _t("shooting system blur", _B, aliases=("defocus blur", "defocus")),
    _t("motion blur", _B),
    _t("compression blur", _B),
    _t("gaussian blur", _B, aliases=("guassian blur",)),
    _t("exposure blur", _B),
    _t("other blur", _B, measurable=False),
    _t("shaking", _T, path="motion", aliases=("shake", "camera shake")),
    _t("lagging", _T, path="motion", aliases=("stutter", "dropped frames")),
    _t("stalling", _T, path="motion", aliases=("freeze", "freezing", "stall")),
    _t("flickering", _T, path="motion", aliases=("flicker",)),
    _t("other temporal distortion", _T, path="motion", aliases=("other tempporal distortion",), measurable=False),
)

_BY_NAME: dict[str, DistortionType] = {}
for _d in DISTORTION_TYPES:
    for _key in (_d.name, *_d.aliases):
        _BY_NAME[_key] = _d


def distortion(name: str) -> DistortionType:
    """Look a distortion type up by its name or a FineVD spelling; unknown names are an error."""
    key = " ".join(name.strip().lower().replace("_", " ").split())
    try:
        return _BY_NAME[key]
    except KeyError:
        raise KeyError(f"unknown distortion type {name!r}; known: {', '.join(d.name for d in DISTORTION_TYPES)}") from None


def distortions_of(dimension: Dimension | str) -> tuple[DistortionType, ...]:
    dim = Dimension(dimension)
    return tuple(d for d in DISTORTION_TYPES if d.dimension is dim)
