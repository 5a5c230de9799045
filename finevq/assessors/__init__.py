"""Assessors: everything that turns a video into an `Assessment`, behind one registry.

Like pyiqa's `create_metric`, a name picks the implementation, so the CLI, batch engines
and service accept `--model NAME` without knowing what is behind it.
"""

from __future__ import annotations

from collections.abc import Callable

from .base import Assessor

_REGISTRY: dict[str, Callable[..., Assessor]] = {}
#: Where each built-in assessor registers itself, imported on first use: `finevq assess`
#: with the fast assessor then never loads the LMM side (and its instruction parser).
_BUILT_IN = {"fast": "finevq.assessors.fast", "lmm": "finevq.lmm.assessor"}


def register(prefix: str):
    def wrap(factory: Callable[..., Assessor]):
        _REGISTRY[prefix] = factory
        return factory

    return wrap


def available() -> list[str]:
    return sorted(set(_REGISTRY) | set(_BUILT_IN))


class ModelError(ValueError):
    """The assessor asked for cannot be built (unknown name, missing or unreadable model folder)."""


def create_assessor(name: str = "fast", **options) -> Assessor:
    """`fast` (default) or `fast:HEADS_DIR_OR_JSON` for other shipped-style heads."""
    prefix, _, argument = name.partition(":")
    if prefix not in _REGISTRY and prefix in _BUILT_IN:
        import importlib

        importlib.import_module(_BUILT_IN[prefix])
    if prefix not in _REGISTRY:
        raise ModelError(f"unknown assessor {name!r}; available: {', '.join(available())}")
    try:
        return _REGISTRY[prefix](argument or None, **options)
    except (OSError, ValueError, KeyError, NotImplementedError) as exc:  # a model folder's problem, said in one line
        raise ModelError(f"cannot load model {name!r}: {exc}") from exc


__all__ = ["Assessor", "ModelError", "available", "create_assessor", "register"]
