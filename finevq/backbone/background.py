"""Deep features beside the decode: a thread loads the network while the decoder runs, then
describes each crop as soon as it is handed over, so by the time the last frame is
decoded little more than the last crop's forward pass is left. ONNX Runtime
(`inference.py`) releases the GIL while it computes, so the network uses the core the
decoder leaves idle instead of queueing behind it."""

from __future__ import annotations

import queue
import threading

import numpy as np


class BackgroundFeatures:
    """Hand crops over with `add`, in order, then call `mean` once (or `cancel` on failure).

    Each crop goes through the network alone; its row has the same bits as in a batch
    (`inference.py` runs one fixed thread, and each image's arithmetic is its own), so the mean equals
    that of `deep_features(crops)`.
    """

    def __init__(self) -> None:
        self._crops: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._rows: list[np.ndarray] = []
        self._error: BaseException | None = None
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="finevq-backbone", daemon=True)
        self._thread.start()

    def add(self, crop: np.ndarray) -> None:
        self._crops.put(crop)

    def mean(self) -> np.ndarray | None:
        """The mean descriptor of the crops added, or None when there were none."""
        self._crops.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return np.concatenate(self._rows).mean(axis=0) if self._rows else None

    def cancel(self) -> None:
        """End the thread without describing the crops still queued. Not waited for, so a
        video that fails does not wait for torch to finish importing."""
        self._cancelled = True
        self._crops.put(None)

    def _run(self) -> None:
        try:
            from .inference import deep_features, load_lite0

            load_lite0()
            while (crop := self._crops.get()) is not None and not self._cancelled:
                self._rows.append(deep_features([crop]))
        except BaseException as error:  # re-raised in the caller's thread by `mean`
            self._error = error
