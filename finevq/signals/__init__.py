"""Measured signals: plain numbers computed from pixels, before any head turns them into scores.

`spatial` reads single frames (blur, noise, artifacts, colour); `motion` reads frame to
frame. Every function here is pure, array in and numbers out, so the heads can be tuned and
tested on signals alone.

Each module's `measure` takes the names `wanted` (all when None) and reads only those:
the per-second timeline needs the few its heads use, at a fraction of the cost.
"""

from collections.abc import Callable, Collection, Mapping


def read(readers: Mapping[str, Callable[[], float]], wanted: Collection[str] | None) -> dict[str, float]:
    """Call the readers of the wanted signals; work they share is cached by the caller."""
    return {name: float(reader()) for name, reader in readers.items() if wanted is None or name in wanted}
