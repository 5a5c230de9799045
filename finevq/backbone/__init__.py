"""EfficientNet-Lite0 features. `prepare` is cheap and torch-free; `network` imports torch,
so it is only loaded on first use of its names."""

from .prepare import INPUT_SIZE, prepare_frame

_NETWORK_NAMES = {"EfficientNetLite0", "FEATURE_NAMES", "SameConv2d", "deep_features", "load_backbone"}


def __getattr__(name):
    if name in _NETWORK_NAMES:
        from . import network

        return getattr(network, name)
    raise AttributeError(name)


__all__ = ["INPUT_SIZE", "prepare_frame", *sorted(_NETWORK_NAMES)]
