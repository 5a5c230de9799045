"""SlowFast-R50 checkpoints from PySlowFast or pytorchvideo -> the motion encoder's layout.

Both projects train the same network under different names; renaming is all a conversion
needs. The classifier head is dropped (the LMM uses features, not Kinetics classes). The
architecture is read back from the tensor shapes, so a converted file also tells `init`
which `MotionSettings` it fits; only α (a stride, which no weight records) must be known.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

#: PySlowFast (facebookresearch/SlowFast, .pyth files): s1 = stem, s2..s5 = stages 0..3,
#: s1_fuse..s4_fuse = fusions 0..3, pathway0 = slow, pathway1 = fast.
_PYSLOWFAST = (
    (re.compile(r"^s1\.pathway(\d)_stem\.(conv|bn)\.(.+)$"), lambda m: f"stem.{_PATH[m[1]]}.{m[2]}.{m[3]}"),
    (re.compile(r"^s(\d)_fuse\.conv_f2s\.(.+)$"), lambda m: f"fuse.{int(m[1]) - 1}.conv.{m[2]}"),
    (re.compile(r"^s(\d)_fuse\.bn\.(.+)$"), lambda m: f"fuse.{int(m[1]) - 1}.bn.{m[2]}"),
    (re.compile(r"^s(\d)\.pathway(\d)_res(\d+)\.branch1\.(.+)$"), lambda m: f"{_block(m)}.shortcut.conv.{m[4]}"),
    (re.compile(r"^s(\d)\.pathway(\d)_res(\d+)\.branch1_bn\.(.+)$"), lambda m: f"{_block(m)}.shortcut.bn.{m[4]}"),
    (re.compile(r"^s(\d)\.pathway(\d)_res(\d+)\.branch2\.([abc])\.(.+)$"), lambda m: f"{_block(m)}.{m[4]}.conv.{m[5]}"),
    (re.compile(r"^s(\d)\.pathway(\d)_res(\d+)\.branch2\.([abc])_bn\.(.+)$"), lambda m: f"{_block(m)}.{m[4]}.bn.{m[5]}"),
)
#: pytorchvideo (`slowfast_r50` from its model zoo): blocks.0 = stem, blocks.1..4 = stages
#: 0..3, each with multipathway_blocks.{0 slow, 1 fast} and a multipathway_fusion.
_PYTORCHVIDEO = (
    (re.compile(r"^blocks\.0\.multipathway_blocks\.(\d)\.(conv|norm)\.(.+)$"),
     lambda m: f"stem.{_PATH[m[1]]}.{'bn' if m[2] == 'norm' else 'conv'}.{m[3]}"),
    (re.compile(r"^blocks\.(\d)\.multipathway_fusion\.conv_fast_to_slow\.(.+)$"), lambda m: f"fuse.{m[1]}.conv.{m[2]}"),
    (re.compile(r"^blocks\.(\d)\.multipathway_fusion\.norm\.(.+)$"), lambda m: f"fuse.{m[1]}.bn.{m[2]}"),
    (re.compile(r"^blocks\.(\d)\.multipathway_blocks\.(\d)\.res_blocks\.(\d+)\.branch1_(conv|norm)\.(.+)$"),
     lambda m: f"{_video_block(m)}.shortcut.{'bn' if m[4] == 'norm' else 'conv'}.{m[5]}"),
    (re.compile(r"^blocks\.(\d)\.multipathway_blocks\.(\d)\.res_blocks\.(\d+)\.branch2\.(conv|norm)_([abc])\.(.+)$"),
     lambda m: f"{_video_block(m)}.{m[5]}.{'bn' if m[4] == 'norm' else 'conv'}.{m[6]}"),
)
_PATH = {"0": "slow", "1": "fast"}
#: Classifier heads and per-checkpoint bookkeeping, dropped on purpose.
_DROPPED = re.compile(r"^(head\.|blocks\.[56]\.)")


def _block(m: re.Match) -> str:
    return f"stages.{int(m[1]) - 2}.{_PATH[m[2]]}.{m[3]}"


def _video_block(m: re.Match) -> str:
    return f"stages.{int(m[1]) - 1}.{_PATH[m[2]]}.{m[3]}"


def convert_slowfast_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename a PySlowFast or pytorchvideo SlowFast state dict; unknown keys are an error, not a silent drop."""
    state = {re.sub(r"^(module\.|model\.)", "", k): v for k, v in state.items()}
    if any(k.startswith("s1.") for k in state):
        rules = _PYSLOWFAST
    elif any(k.startswith("blocks.0.multipathway_blocks") for k in state):
        rules = _PYTORCHVIDEO
    else:
        raise ValueError("not a SlowFast state dict from PySlowFast (s1.pathway0_stem...) or pytorchvideo (blocks.0.multipathway_blocks...)")
    converted, unknown = {}, []
    for key, value in state.items():
        if _DROPPED.match(key):
            continue
        for pattern, rename in rules:
            if match := pattern.match(key):
                converted[rename(match)] = value
                break
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(f"{len(unknown)} key(s) have no place in the motion encoder, e.g. {', '.join(unknown[:5])}")
    return converted


def infer_settings(converted: dict[str, torch.Tensor]) -> dict:
    """The MotionSettings fields a converted state dict fixes (width, beta_inv, depths, fusion)."""
    slow, fast = converted["stem.slow.conv.weight"].shape[0], converted["stem.fast.conv.weight"].shape[0]
    fusion = converted["fuse.0.conv.weight"]
    depths = tuple(
        1 + max((int(k.split(".")[3]) for k in converted if k.startswith(f"stages.{s}.slow.")), default=-1) for s in range(4)
    )
    return {"width": slow, "beta_inv": slow // fast, "depths": depths,
            "fusion_ratio": fusion.shape[0] // fast, "fusion_kernel": fusion.shape[2]}


def read_checkpoint(path: str | Path, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Tensors from a .pyth/.pt/.pth (PySlowFast keeps them under "model_state") or .safetensors file.

    Pickled checkpoints can run code when loaded, so only plain tensors are read unless
    `allow_pickle` says the file is trusted (PySlowFast files also pickle their config).
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except Exception as error:  # torch raises several types for refused pickles
        if allow_pickle:
            raise
        raise ValueError(f"{path} holds more than tensors ({type(error).__name__}); if you trust it, convert with --allow-pickle") from None
    for key in ("model_state", "state_dict", "model"):
        if isinstance(blob, dict) and isinstance(blob.get(key), dict):
            blob = blob[key]
            break
    return {k: v for k, v in blob.items() if isinstance(v, torch.Tensor)}


def convert_checkpoint(source: str | Path, target: str | Path, allow_pickle: bool = False) -> dict:
    """Convert a checkpoint file to safetensors in the encoder's layout; returns the inferred settings."""
    from safetensors.torch import save_file

    converted = convert_slowfast_state_dict(read_checkpoint(source, allow_pickle))
    save_file({k: v.contiguous() for k, v in converted.items()}, str(target))
    return infer_settings(converted)
