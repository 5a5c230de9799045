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


def _panelled(picture, width, height, sigma=20):
    """The picture centred on a blurred, enlarged copy of itself: how reposts fill a frame."""
    import cv2

    frame = cv2.GaussianBlur(cv2.resize(picture, (width, height), interpolation=cv2.INTER_LINEAR), (0, 0), sigma)
    h, w = picture.shape[:2]
    y, x = (height - h) // 2, (width - w) // 2
    frame[y : y + h, x : x + w] = picture
    return frame, (y, y + h, x, x + w)


@pytest.mark.parametrize("seed", range(4))
def test_blurred_panels_beside_or_above_a_picture_are_left_out(seed):
    """Found to within 8 px inside the picture, never with a sliver of panel."""
    portrait = next(iter_clip(270, 480, 1.0, 24, seed))
    frame, (_, _, left, right) = _panelled(portrait, 854, 480)
    found = picture_box(frame)
    assert found[:2] == (0, 480) and left <= found[2] <= left + 8 and right - 8 <= found[3] <= right
    landscape = next(iter_clip(480, 270, 1.0, 24, seed))
    frame, (top, bottom, _, _) = _panelled(landscape, 480, 854)
    found = picture_box(frame)
    assert found[2:] == (0, 480) and top <= found[0] <= top + 8 and bottom - 8 <= found[1] <= bottom


@pytest.mark.parametrize("seed", range(4))
def test_a_shallow_focus_background_is_not_a_panel(seed):
    """A sharp subject on a blurred background is soft at the sides too, but its edge is a
    contour, not a straight line through the frame."""
    import cv2

    full = next(iter_clip(854, 480, 1.0, 24, seed))
    mask = np.zeros(full.shape[:2], np.uint8)
    cv2.ellipse(mask, (427, 300), (150, 260), 0, 0, 360, 255, -1)
    frame = np.where(mask[..., None] > 0, full, cv2.GaussianBlur(full, (0, 0), 12))
    assert picture_box(frame) == (0, 480, 0, 854)
    assert picture_box(cv2.GaussianBlur(full, (0, 0), 3)) == (0, 480, 0, 854)


def test_a_portrait_video_in_black_bars_is_found():
    """9:16 in 16:9 keeps 32% of the width between its bars."""
    portrait = next(iter_clip(270, 480, 1.0, 24, 0))
    assert picture_box(_boxed(portrait, 0, 0, 292, 292)) == (0, 480, 292, 562)


def test_a_repost_on_blurred_panels_scores_like_its_picture(tmp_path, assessor):
    frames = list(iter_clip(198, 352, 2.0, 24, 3))
    plain = assessor.assess(encode(tmp_path / "plain.mp4", frames))
    panelled = assessor.assess(encode(tmp_path / "panelled.mp4", [_panelled(f, 626, 352)[0] for f in frames]))
    assert plain.ok and panelled.ok
    for dim in ("color", "noise", "artifact", "blur", "temporal"):
        assert abs(panelled.score(dim) - plain.score(dim)) <= 8, (dim, panelled.score(dim), plain.score(dim))
    assert any("pillarbox bars" in note and "x352 picture" in note for note in panelled.unmeasured)


def test_bars_carry_over_to_a_frame_whose_picture_merges_with_one():
    """A picture going dark beside its right bar makes the pair look unequal; the bars found
    in earlier frames still hold while the frame is black and flat where they were."""
    picture = _picture()
    box = picture_box(_boxed(picture, 0, 0, 80, 80))
    dark = picture.copy()
    dark[:, 240:] = 16  # the right half of the scene goes black
    frame = _boxed(dark, 0, 0, 80, 80)
    assert picture_box(frame) == (0, 270, 0, 640)
    assert picture_box(frame, box) == box == (0, 270, 80, 560)
    unboxed = _picture(270, 640, seed=1)  # a frame without bars: nothing carries over
    assert picture_box(unboxed, box) == (0, 270, 0, 640)


def test_blurred_panels_carry_over_to_a_frame_whose_picture_edge_is_smooth():
    """A cheek or a sky at the picture's edge breaks the straight-edge test for a moment;
    the panels found before still hold while the sides stay soft, and never on a frame
    whose sides have detail."""
    portrait = next(iter_clip(270, 480, 1.0, 24, 0))
    frame, box = _panelled(portrait, 854, 480)
    merged = frame.copy()
    merged[:120, 200:352] = (150, 170, 200)  # plain sky across the picture's top-left edge and the panel beside it
    assert picture_box(merged) == (0, 480, 0, 854)
    assert picture_box(merged, box) == box
    assert picture_box(next(iter_clip(854, 480, 1.0, 24, 1)), box) == (0, 480, 0, 854)
