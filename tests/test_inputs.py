"""Every bad input fails for that file only, with a stable code; odd-but-valid inputs work."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import encode, scene
from finevq.cli import app
from finevq.errors import ERROR_CODES


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return encode(tmp_path_factory.mktemp("good") / "good.mp4", scene(96, 64, 24))


def _audio_only(path):
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        for k in range(8):
            frame.pts = k * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def _unknown_codec(path, good):
    data = good.read_bytes()
    at = data.find(b"avc1", data.find(b"stsd"))
    path.write_bytes(data[:at] + b"zzzz" + data[at + 4 :])
    return path


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, good):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.mp4").write_bytes(b"")
    (d / "truncated.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (d / "random.mp4").write_bytes(np.random.default_rng(1).bytes(5000))
    (d / "notes.txt").write_text("this is not a video\n" * 50)
    (d / "folder").mkdir()
    mkv = encode(d / "whole.mkv", scene(96, 64, 48), container="matroska")
    (d / "truncated.mkv").write_bytes(mkv.read_bytes()[: mkv.stat().st_size // 3])
    return {
        "empty.mp4": "empty_file",
        "truncated.mp4": "truncated",
        "truncated.mkv": "truncated",
        "random.mp4": "not_a_video",
        "notes.txt": "not_a_video",
        "audio.m4a": ("no_video_stream", _audio_only(d / "audio.m4a")),
        "tiny.mp4": ("too_small", encode(d / "tiny.mp4", [np.zeros((16, 16, 3), np.uint8)] * 4)),
        "codec.mp4": ("unsupported_codec", _unknown_codec(d / "codec.mp4", good)),
        "folder": "not_a_file",
        "missing.mp4": "not_found",
    }, d


def test_each_bad_input_gets_its_code(assessor, bad_inputs):
    cases, d = bad_inputs
    for name, expected in cases.items():
        code = expected[0] if isinstance(expected, tuple) else expected
        result = assessor.assess(d / name)
        assert not result.ok, name
        assert result.error.code == code, (name, result.error)
        assert result.error.code in ERROR_CODES
        assert result.dimensions is None
        assert "Traceback" not in result.error.message


def test_cli_goes_on_after_failures_and_exits_nonzero(bad_inputs, good):
    cases, d = bad_inputs
    # (a folder given to the CLI is a batch input, not a bad file: see the batch tests)
    paths = [str(d / n) for n in cases if n != "folder"] + [str(good)]
    result = CliRunner().invoke(app, ["assess", *paths, "--format", "jsonl"])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["video"] for r in lines] == paths
    assert "error" not in lines[-1] and set(lines[-1]["dimensions"]) == {"color", "noise", "artifact", "blur", "temporal", "overall"}
    assert all("error" in r for r in lines[:-1])


def test_one_frame_video_says_what_it_could_not_measure(assessor, tmp_path):
    result = assessor.assess(encode(tmp_path / "one.mp4", scene(96, 64, 1)))
    assert result.ok
    assert result.info.frame_count == 1
    assert any(note.startswith("temporal") for note in result.unmeasured)
    assert result.stalls is None


def test_rotation_is_applied(assessor, tmp_path):
    result = assessor.assess(encode(tmp_path / "rot.mp4", scene(96, 64, 12), rotation=90))
    assert result.ok and result.info.rotation in (90, 270)
    assert (result.info.width, result.info.height) == (64, 96)


def test_odd_size_and_ten_bit(assessor, tmp_path):
    odd = assessor.assess(encode(tmp_path / "odd.mp4", scene(97, 67, 12), pix_fmt="yuv444p"))
    assert odd.ok and (odd.info.width, odd.info.height) == (97, 67)
    ten = assessor.assess(encode(tmp_path / "ten.mp4", scene(96, 64, 12), pix_fmt="yuv420p10le"))
    assert ten.ok and ten.info.bit_depth == 10
    eight = assessor.assess(encode(tmp_path / "eight.mp4", scene(96, 64, 12)))
    for dim in ("color", "noise", "blur"):
        assert abs(ten.score(dim) - eight.score(dim)) < 15, dim


def test_variable_frame_rate_timestamps(assessor, tmp_path):
    frames = scene(96, 64, 30)
    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            t += 20 if i % 2 else 50
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    result = assessor.assess(path)
    assert result.ok and result.info.variable_frame_rate is True


def test_same_video_same_numbers(assessor, good):
    first, second = assessor.assess(good), assessor.assess(good)
    assert first.to_json() == second.to_json()


def test_a_fresh_process_gives_the_same_numbers(good, assessor):
    code = f"import finevq; print(finevq.assess({str(good)!r}).to_json())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == assessor.assess(good).to_json()


@pytest.mark.parametrize("model", ["fast:/no/such/model", "lmm:/no/such/model", "no-such-assessor"])
def test_a_model_that_cannot_load_is_one_clear_error(model, tmp_path):
    result = CliRunner().invoke(app, ["assess", str(tmp_path / "clip.mp4"), "--model", model])
    assert result.exit_code == 2
    assert "error:" in result.output and model in result.output.replace("\n", "")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_closed_source_keeps_its_facts(tmp_path):
    """Reading a PyAV stream after its container closed crashes the interpreter; the facts
    the assessor needs are read at opening instead."""
    from finevq.io import open_video
    from finevq.synth.video import make_test_video

    with open_video(make_test_video(tmp_path / "clip.mp4", seconds=1.0, seed=1)) as source:
        during = (source.frame_rate, source.info, source.expected_frames)
    assert (source.frame_rate, source.info, source.expected_frames) == during
    assert source.frame_rate == pytest.approx(24.0)
