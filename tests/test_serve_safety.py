"""Content sniffing, path confinement and key comparison, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from finevq.serve.errors import ServiceError
from finevq.serve.safety import key_matches, resolve_allowed, sniff_container


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "mkv"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "avi"),
        (b"\x47\x40\x00\x10" + b"\xff" * 184 + b"\x47\x01", "ts"),
        (b"\x00\x00\x01\xba\x44\x00", "mpg"),
        (b"FLV\x01\x05\x00", "flv"),
        (b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9", "wmv"),
        (b"OggS\x00\x02", "ogv"),
        (b"DKIF\x00\x00\x20\x00VP90", "ivf"),
        (b"YUV4MPEG2 W320 H240 F25:1", "y4m"),
    ],
)
def test_video_containers_are_recognised_by_their_first_bytes(head, kind):
    assert sniff_container(head) == kind


@pytest.mark.parametrize(
    "head",
    [b"", b"hello world", b"\x89PNG\r\n\x1a\n", b"%PDF-1.7", b"PK\x03\x04", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"\x47" + b"x" * 200, b"<html>"],
)
def test_other_files_are_not_videos_whatever_they_are_called(head):
    assert sniff_container(head) is None


@pytest.fixture
def tree(tmp_path) -> dict[str, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "sub" / "a.mp4").write_bytes(b"x")
    (outside / "b.mp4").write_bytes(b"x")
    (root / "inner-link.mp4").symlink_to(root / "sub" / "a.mp4")
    (root / "outer-link.mp4").symlink_to(outside / "b.mp4")
    (root / "outer-dir").symlink_to(outside, target_is_directory=True)
    return {"root": root, "outside": outside}


def refused(path: str, roots, status: int, code: str) -> str:
    with pytest.raises(ServiceError) as caught:
        resolve_allowed(path, roots)
    assert (caught.value.status, caught.value.code) == (status, code)
    return caught.value.message


def test_paths_inside_a_root_resolve_to_the_real_file(tree):
    roots = (tree["root"],)
    real = (tree["root"] / "sub" / "a.mp4").resolve()
    assert resolve_allowed("sub/a.mp4", roots) == real
    assert resolve_allowed(str(tree["root"] / "sub" / "a.mp4"), roots) == real
    assert resolve_allowed("inner-link.mp4", roots) == real  # a link that stays inside is fine


def test_relative_paths_are_tried_under_each_root_in_order(tree):
    assert resolve_allowed("b.mp4", (tree["root"], tree["outside"])) == (tree["outside"] / "b.mp4").resolve()


@pytest.mark.parametrize(
    "path",
    ["../outside/b.mp4", "sub/../../outside/b.mp4", "sub/../sub/a.mp4", "ROOT/../outside/b.mp4", "outer-link.mp4", "outer-dir/b.mp4", "OUTSIDE/b.mp4", "OUTSIDE/missing.mp4"],
)
def test_escapes_are_refused(tree, path):
    path = path.replace("ROOT", str(tree["root"])).replace("OUTSIDE", str(tree["outside"]))
    refused(path, (tree["root"],), 403, "path_not_allowed")


def test_outside_paths_get_one_answer_whether_they_exist_or_not(tree):
    roots = (tree["root"],)
    answers = {refused(str(tree["outside"] / name), roots, 403, "path_not_allowed") for name in ("b.mp4", "missing.mp4")}
    answers.add(refused("outer-link.mp4", roots, 403, "path_not_allowed"))
    assert len(answers) == 1


def test_other_path_problems_have_their_own_codes(tree):
    roots = (tree["root"],)
    refused("sub/missing.mp4", roots, 404, "not_found")
    refused("sub", roots, 400, "not_a_file")
    refused("", roots, 400, "bad_request")
    refused("a\x00.mp4", roots, 400, "bad_request")
    refused("sub/a.mp4", (), 403, "path_not_allowed")  # no --allow-root: path jobs are off


def test_key_comparison():
    assert key_matches("k3y", "k3y")
    assert not key_matches("k3y ", "k3y")
    assert not key_matches("", "k3y")
    assert not key_matches(None, "k3y")
    assert not key_matches("ключ", "k3y")  # non-ASCII must not raise
