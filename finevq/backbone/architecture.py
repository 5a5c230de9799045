"""EfficientNet-Lite0's shape and the feature layout, shared by the torch model
(`network.py`) and the ONNX Runtime inference (`inference.py`) so the two cannot drift apart."""

BN_EPS = 1e-3

#: (kernel, stride, expansion, out_channels, repeats) per stage; EfficientNet-B0 at width and
#: depth 1.0, which is what Lite0 uses.
STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
#: Last block of the 40-channel, stride-8 stage. At 1/8 resolution blur, noise, ringing and
#: blocking are still resolved, whereas the head has mostly pooled them away into semantics.
TAP_BLOCK = 4
TAP_CHANNELS = 40

FEATURE_NAMES: list[str] = (
    [f"effnet_head_{i:04d}" for i in range(1280)]
    + [f"effnet_s8mean_{i:02d}" for i in range(TAP_CHANNELS)]
    + [f"effnet_s8std_{i:02d}" for i in range(TAP_CHANNELS)]
)
FEATURE_COUNT = len(FEATURE_NAMES)
