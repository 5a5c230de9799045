"""Letterbox and pillarbox bars are left out of the picture's signals, and nothing else is."""

import numpy as np
import pytest

from finevq.io.framing import picture_box
from finevq.synth.content import iter_clip

from conftest import encode


def _picture(h=270, w=480, seed=0):
    return next(iter_clip(w, h, 1.0, 24, seed))


def _boxed(picture, top=0, bottom=0, left=0, right=0, level=16):
    return np.pad(picture, ((top, bottom), (left, right), (0, 0)), constant_values=level)


def test_bars_are_found_on_opposite_sides():
    picture = _picture()
    h, w = picture.shape[:2]
    assert picture_box(picture) == (0, h, 0, w)
    assert picture_box(_boxed(picture, 45, 45)) == (45, 45 + h, 0, w)
    assert picture_box(_boxed(picture, 0, 0, 80, 80)) == (0, h, 80, 80 + w)
    # encoders round to even sizes: one bar a little thicker than the other still counts
    assert picture_box(_boxed(picture, 44, 46, level=20)) == (44, 44 + h, 0, w)


def test_a_logo_in_the_bars_leaves_them_bars():
    """UGC prints channel names and logos in its bars; an overlay over a seventh of the bar
    still leaves most of every line black and flat."""
    picture = _picture()
    h, w = picture.shape[:2]
    frame = _boxed(picture, 0, 0, 80, 80)
    frame[20:60, 10:70] = (250, 200, 40)  # an icon in the left bar, 15% of its height
    frame[230:250, 500:635] = 235  # a title running from the picture into the right bar
    assert picture_box(frame) == (0, h, 80, 80 + w)


@pytest.mark.parametrize("bars", [dict(top=45), dict(top=10, bottom=60), dict(left=1, right=1)], ids=["one-side", "unequal", "hairline"])
def test_what_is_not_a_pair_of_bars_is_left_whole(bars):
    """A dark scene's black sky has no matching bar at the bottom; a 1-px edge is no bar."""
    frame = _boxed(_picture(), **bars)
    assert picture_box(frame) == (0, frame.shape[0], 0, frame.shape[1])


def test_a_luma_plane_is_read_like_its_frame():
    import cv2

    frame = _boxed(_picture(), 0, 0, 80, 80)
    assert picture_box(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)) == picture_box(frame) == (0, 270, 80, 560)


def test_black_and_grey_frames_are_left_whole():
    for level in (0, 16, 128):
        frame = np.full((270, 480, 3), level, np.uint8)
        assert picture_box(frame) == (0, 270, 0, 480)


def test_a_letterboxed_video_scores_like_its_picture(tmp_path, assessor):
    frames = list(iter_clip(480, 270, 2.0, 24, 3))
    plain = assessor.assess(encode(tmp_path / "plain.mp4", frames))
    boxed = assessor.assess(encode(tmp_path / "boxed.mp4", [_boxed(f, 46, 46) for f in frames]))
    assert plain.ok and boxed.ok
    for dim in ("color", "noise", "artifact", "blur", "temporal"):
        assert abs(boxed.score(dim) - plain.score(dim)) <= 8, (dim, boxed.score(dim), plain.score(dim))
    assert any("letterbox bars" in note and "480x270" in note for note in boxed.unmeasured)
    assert not any("bars" in note for note in plain.unmeasured)


def test_a_pillarboxed_video_with_a_logo_in_its_bars_scores_like_its_picture(tmp_path, assessor):
    frames = list(iter_clip(360, 270, 2.0, 24, 3))

    def boxed(frame):
        out = _boxed(frame, 0, 0, 60, 60)
        out[20:50, 8:52] = (240, 190, 30)  # a channel icon, as UGC reposts carry
        return out

    plain = assessor.assess(encode(tmp_path / "plain.mp4", frames))
    logo = assessor.assess(encode(tmp_path / "logo.mp4", [boxed(f) for f in frames]))
    assert plain.ok and logo.ok
    for dim in ("color", "noise", "artifact", "blur", "temporal"):
        assert abs(logo.score(dim) - plain.score(dim)) <= 8, (dim, logo.score(dim), plain.score(dim))
    assert any("pillarbox bars" in note and "360x270" in note for note in logo.unmeasured)


def test_the_dark_edges_of_an_underexposed_picture_are_not_bars():
    """Darkened to near black, a picture's edges pass as black but not as flat."""
    rng = np.random.default_rng(0)
    frame = _picture()
    frame[:, :60] = rng.integers(0, 14, (frame.shape[0], 60, 3), dtype=np.uint8)
    frame[:, -60:] = rng.integers(0, 14, (frame.shape[0], 60, 3), dtype=np.uint8)
    assert picture_box(frame) == (0, frame.shape[0], 0, frame.shape[1])
