"""Dataset adapters on label files in the real formats (invented rows), and on the real files when present."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from finevq.evaluation import DATASETS, DatasetError, load_dataset
from finevq.taxonomy import DIMENSIONS, Dimension

from conftest import SHARED, needs_shared

HEADER = ["vid", "mos", "width", "height", "pixfmt", "framerate", "nb_frames", "bitdepth", "bitrate"]


def labels_file(path: Path, rows: list[tuple[str, float]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([vid, mos, 960, 540, "yuv420p", 29.97, 240, 8, 1000000] for vid, mos in rows)
    return path


def videos(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")


def overall(refs) -> dict[str, float]:
    return {Path(r.video).name: r.scores[Dimension.OVERALL] for r in refs}


def test_konvid_five_point_scale_and_labels_found_in_the_root(tmp_path):
    labels_file(tmp_path / "konvid_1k.csv", [("3339962845", 1.0), ("8171831850", 3.0), ("6076608135", 5.0)])
    videos(tmp_path, "3339962845.mp4", "8171831850.mp4", "6076608135.mp4")
    refs = load_dataset("konvid1k", tmp_path)
    assert overall(refs) == {"3339962845.mp4": 0.0, "8171831850.mp4": 50.0, "6076608135.mp4": 100.0}
    assert all(set(r.scores) == {Dimension.OVERALL} and r.distortions is None and r.most_impactful is None for r in refs)
    assert refs[0].video == str(tmp_path / "3339962845.mp4")


def test_live_vqc_in_its_download_folder_with_labels_elsewhere(tmp_path):
    labels = labels_file(tmp_path / "meta" / "mine.csv", [("A001", 80.232), ("A002", 57.3005)])
    videos(tmp_path / "data", "Video/A001.mp4", "Video/A002.mp4")
    assert overall(load_dataset("livevqc", tmp_path / "data", labels=labels)) == {"A001.mp4": 80.232, "A002.mp4": 57.3005}


def test_youtube_ugc_prefers_mkv_and_keeps_dotted_names(tmp_path):
    vid = "Animation_360P-08c9_crf_10_ss_00_t_20.0"
    labels = labels_file(tmp_path / "youtube_ugc.csv", [(vid, 3.652), ("Gaming_720P-25aa_crf_10_ss_00_t_20.0", 1.242)])
    videos(tmp_path / "v", f"{vid}.mkv", f"{vid}.mp4", "Gaming/Gaming_720P-25aa_crf_10_ss_00_t_20.0.mp4")
    refs = load_dataset("youtube_ugc", tmp_path / "v", labels=labels)
    assert [Path(r.video).name for r in refs] == [f"{vid}.mkv", "Gaming_720P-25aa_crf_10_ss_00_t_20.0.mp4"]
    assert refs[0].scores[Dimension.OVERALL] == pytest.approx((3.652 - 1) / 4 * 100)


def test_lsvq_ids_name_their_batch_folder(tmp_path):
    labels = labels_file(tmp_path / "lsvq_test.csv", [("yfcc-batch1/747", 67.75), ("yfcc-batch2/747", 50.9)])
    videos(tmp_path / "v", "yfcc-batch1/747.mp4", "LSVQ/yfcc-batch2/747.mp4")
    refs = load_dataset("lsvq", tmp_path / "v", labels=labels)
    assert [r.video for r in refs] == [str(tmp_path / "v/yfcc-batch1/747.mp4"), str(tmp_path / "v/LSVQ/yfcc-batch2/747.mp4")]
    assert [r.scores[Dimension.OVERALL] for r in refs] == [67.75, 50.9]


def test_finevd_joins_its_dimension_files_and_clips_below_zero(tmp_path):
    labels_file(tmp_path / "finevd_overall.csv", [("0_00_00_1357553287", 56.445), ("0_00_00_1382276868", 18.1518)])
    labels_file(tmp_path / "finevd_noise.csv", [("0_00_00_1357553287", -8.58), ("0_00_00_1382276868", 22.829)])
    labels_file(tmp_path / "finevd_blur.csv", [("0_00_00_1357553287", 55.9395)])
    videos(tmp_path, "0_00_00_1357553287.mp4", "0_00_00_1382276868.mp4")
    first, second = load_dataset("finevd", tmp_path)
    assert first.scores == {Dimension.OVERALL: 56.445, Dimension.NOISE: 0.0, Dimension.BLUR: 55.9395}
    assert second.scores == {Dimension.OVERALL: 18.1518, Dimension.NOISE: 22.829}


def test_missing_videos_are_counted_with_examples(tmp_path):
    labels_file(tmp_path / "konvid_1k.csv", [(str(n), 3.0) for n in range(10)])
    videos(tmp_path, "0.mp4", "1.mkv")
    with pytest.raises(DatasetError, match=r"8 of 10 labelled videos not found .* e\.g\. 2\.mp4, 3\.mp4"):
        load_dataset("konvid1k", tmp_path)


def test_unusable_inputs_say_what_is_wrong(tmp_path):
    with pytest.raises(DatasetError, match="known: konvid1k, livevqc"):
        load_dataset("konvid", tmp_path)
    with pytest.raises(DatasetError, match="konvid_1k.csv"):
        load_dataset("konvid1k", tmp_path)
    with pytest.raises(DatasetError, match="finevd_overall.csv"):
        load_dataset("finevd", tmp_path)
    labels_file(tmp_path / "konvid_1k.csv", [("1", 3.0), ("1", 4.0)])
    with pytest.raises(DatasetError, match="twice"):
        load_dataset("konvid1k", tmp_path)


REAL = {name: (SHARED / "labels" / ("finevd" if name == "finevd" else f"vqa/{spec.labels}")) for name, spec in DATASETS.items()}


@needs_shared("labels")
@pytest.mark.parametrize("name", list(DATASETS))
def test_real_label_files_map_into_0_100(name, tmp_path):
    labels = REAL[name]
    files = [labels / DATASETS[name].labels.format(dim=d) for d in DIMENSIONS] if labels.is_dir() else [labels]
    vids = {row["vid"] for f in files if f.is_file() for row in csv.DictReader(open(f, encoding="utf-8-sig"))}
    videos(tmp_path, *(f"{vid}{DATASETS[name].extension}" for vid in vids))
    refs = load_dataset(name, tmp_path, labels=labels)
    assert len(refs) == len(vids) > 100
    scores = [s for r in refs for s in r.scores.values()]
    assert all(0.0 <= s <= 100.0 for s in scores)
    assert max(scores) - min(scores) > 40  # the scale was mapped, not squeezed into a corner
