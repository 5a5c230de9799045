"""Deep features beside the decode. Importing torch and loading the network take about as
long as decoding ten seconds of 1080p, so a thread does both while the decoder runs, then
describes each crop as soon as it is handed over: by the time the last frame is decoded,
little more than the last crop's forward pass is left. Torch-free until the thread starts."""

from __future__ import annotations

import queue
import threading

import numpy as np


class BackgroundFeatures:
    """Hand crops over with `add`, in order, then call `mean` once (or `cancel` on failure).

    Each crop goes through the network alone, on one torch thread. Its row then has the same
    bits as in a batch of up to 12 (checked on 136 real crops; a batch of 16 picks other
    convolution kernels), so for the at most 8 sampled frames of a video the mean equals
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
            from .network import deep_features, load_backbone

            load_backbone()
            while (crop := self._crops.get()) is not None and not self._cancelled:
                self._rows.append(deep_features([crop]))
        except BaseException as error:  # re-raised in the caller's thread by `mean`
            self._error = error
