"""finevq: fine-grained quality assessment of user-generated video.

    >>> import finevq
    >>> result = finevq.assess("clip.mp4")
    >>> result.dimensions["blur"].score, result.most_impactful, result.description

`Assessor` keeps models loaded across many videos; `create_assessor(name)` picks an
assessor from the registry. Heavy modules (PyAV, OpenCV, torch) load on first use, so
`import finevq.taxonomy` or the CLI's `--help` stay instant.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

_LAZY = {
    "Assessment": ("finevq.schema", "Assessment"),
    "SCHEMA_VERSION": ("finevq.schema", "SCHEMA_VERSION"),
    "Assessor": ("finevq.assessors.fast", "FastAssessor"),
    "FastAssessor": ("finevq.assessors.fast", "FastAssessor"),
    "create_assessor": ("finevq.assessors", "create_assessor"),
    "available_assessors": ("finevq.assessors", "available"),
    "DIMENSIONS": ("finevq.taxonomy", "DIMENSIONS"),
    "DISTORTION_TYPES": ("finevq.taxonomy", "DISTORTION_TYPES"),
    "Dimension": ("finevq.taxonomy", "Dimension"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'finevq' has no attribute {name!r}")


def assess(path: str | os.PathLike, model: str = "fast"):
    """Assess one video with a fresh assessor (returns an `Assessment`); use `Assessor` for many."""
    from .assessors import create_assessor

    return create_assessor(model).assess(path)


__all__ = ["assess", *_LAZY]
