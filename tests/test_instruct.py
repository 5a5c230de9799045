"""Instruction generation from a labels file: round trip, determinism, formats, splits, paraphrases, text evaluation."""

from __future__ import annotations

import csv
import json
import random
import re
from collections import defaultdict
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from finevq.instruct import (
    FORMATS, QUESTION_TYPES, LabelsError, ask, evaluate_text, generate, parse_question, read_labels, split_paths, write_dataset,
)
from finevq.instruct import templates as T
from finevq.instruct.cli import instruct_command, evaluate_text_command
from finevq.instruct.evaluate import read_predictions
from finevq.instruct.parse import split_options
from finevq.taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension, distortion, distortions_of, level_of, levels_for

TIMED = {"stall": "stalling", "shake": "shaking", "flicker": "flickering", "drop": "lagging"}


def _write_labels(path: Path, rows: int = 50, seed: int = 7) -> list[dict]:
    """A labels file like the project's: scores, FineVD-spelled types, severities, timelines, an extra column."""
    rng = random.Random(seed)
    records = []
    for i in range(rows):
        row = {"video": f"clips/v{i:03d}.mp4"}
        types = []
        for dim in DIMENSIONS:
            score = rng.choice((rng.uniform(82, 99), rng.uniform(3, 79)))
            row[str(dim)] = f"{score:.1f}"
            if dim is not Dimension.OVERALL and score < 80 and rng.random() < 0.7:
                picked = rng.choice(distortions_of(dim))
                types.append(rng.choice((picked.name, *picked.aliases)))
        row["distortions"] = ";".join(types)
        row["distortion_levels"] = ";".join(f"{t}:{rng.randint(1, 5)}" for t in types[:2])
        duration = rng.uniform(6, 20)
        events = []
        for kind in ("stall", "shake", "flicker", "drop"):
            if rng.random() < 0.4:
                start = round(rng.uniform(0, duration - 3), 2)
                events.append({"kind": kind, "start": start, "end": round(start + rng.uniform(0.5, 2), 2)})
        row["events"] = json.dumps(events)
        row["duration"] = f"{duration:.2f}"
        row["frame_count"] = str(int(duration * 30))
        row["notes"] = "ignored"
        records.append(row)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return records


@pytest.fixture(scope="module")
def labels(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    return path, {row["video"]: row for row in _write_labels(path)}


@pytest.fixture(scope="module")
def samples(labels):
    return generate(labels[0], seed=0)


# --- reading labels ------------------------------------------------------------------------

def test_labels_canonical_names_levels_and_severity_order(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(
        "video,color,noise,artifact,blur,temporal,overall,blur_level,distortions,distortion_levels,other\n"
        "a.mp4,85,55,90,30,70,60,severe,gussian noise;sqaure artifact,motion blur:5;square artifact:2,x\n"
    )
    (facts,) = read_labels(path)
    assert facts.levels[Dimension.COLOR] == "excellent" and facts.levels[Dimension.NOISE] == "mild"
    assert facts.levels[Dimension.BLUR] == "severe"  # the level column wins over the score band
    assert facts.distortions == ("motion blur", "square artifact", "gaussian noise")
    assert facts.most_impactful is Dimension.BLUR


def test_labels_without_types_are_unknown_not_empty(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text('video,color,noise,artifact,blur,temporal,overall,events\n'
                    'a.mp4,85,85,85,85,85,85,"[{""kind"": ""stall"", ""start"": 1, ""end"": 2}]"\n')
    (facts,) = read_labels(path)
    assert facts.distortions is None
    assert all(s.kind != "which_type" for s in generate([facts]))
    assert ask(facts, "Does the video stall?").value == "Yes"  # the timeline knows
    assert ask(facts, "Is there any motion blur in this video?").value is None  # nobody labelled types


@pytest.mark.parametrize("cells, message", [
    ("a.mp4,101,50,50,50,50,50,", "outside 0-100"),
    ("a.mp4,50,50,50,50,50,50,blurry mess", "unknown distortion type"),
    (",50,50,50,50,50,50,", "empty video path"),
])
def test_bad_labels_name_the_row(tmp_path, cells, message):
    path = tmp_path / "l.csv"
    path.write_text(f"video,color,noise,artifact,blur,temporal,overall,distortions\n{cells}\n")
    with pytest.raises(LabelsError, match=rf"row 2: .*{message}"):
        read_labels(path)


# --- generation ------------------------------------------------------------------------------

def _expected(row: dict) -> dict:
    """What the labels say, worked out here independently of finevq.instruct."""
    types = [distortion(t).name for t in row["distortions"].split(";") if t]
    events = json.loads(row["events"])
    types += [TIMED[e["kind"]] for e in events if TIMED[e["kind"]] not in types]
    levels = {d: level_of(d, float(row[str(d)])) for d in DIMENSIONS}
    distorted = {d for d in DISTORTION_DIMENSIONS
                 if levels[d] != levels_for(d)[0] or any(distortion(t).dimension is d for t in types)}
    dominant = min(distorted, key=lambda d: (float(row[str(d)]), -sum(distortion(t).dimension is d for t in types),
                                             DISTORTION_DIMENSIONS.index(d))) if distorted else None
    return dict(types=set(types), levels=levels, distorted=distorted, dominant=dominant, events=events)


def _dimension_in(question: str) -> Dimension:
    intent = parse_question(question)
    return intent.dimension


def test_generated_answers_parse_back_to_the_labels(labels, samples):
    _, rows = labels
    checked = defaultdict(int)
    for s in samples:
        want = _expected(rows[s.video])
        assert parse_question(s.question).kind == s.kind, s.question
        if s.kind == "rating":
            dim = _dimension_in(s.question)
            words = {w for w in re.findall(r"[a-z]+", s.answer.lower()) if w in levels_for(dim)}
            assert words == {want["levels"][dim]}, (s.question, s.answer)
        elif s.kind == "score":
            assert float(re.findall(r"\d+\.\d+", s.answer)[-1]) == pytest.approx(float(rows[s.video][str(_dimension_in(s.question))]))
        elif s.kind == "yes_no":
            assert s.answer.split(",")[0].split(".")[0] == ("Yes" if _dimension_in(s.question) in want["distorted"] else "No")
        elif s.kind in ("which_type", "which_dimension"):
            letter = s.answer[0]
            chosen = dict(split_options(s.question)[1])[letter]
            if s.answer != letter:
                assert s.answer == f"{letter}. {chosen}"
            if s.kind == "which_type":
                assert chosen == T.NO_TYPE_OPTION if not want["types"] else chosen in want["types"]
            else:
                assert chosen == (T.OPTION_NAME[want["dominant"]] if want["dominant"] else T.GOOD_OPTION)
        elif s.kind == "when":
            spans = [tuple(map(float, m)) for m in re.findall(r"from (\d+\.\d) s to (\d+\.\d) s", s.answer)]
            kind = parse_question(s.question).type
            assert spans == sorted((round(e["start"], 1), round(e["end"], 1)) for e in want["events"] if TIMED[e["kind"]] == kind)
        checked[s.kind] += 1
    assert all(checked[k] >= 40 for k in ("rating", "score", "yes_no", "which_type", "which_dimension", "when")), checked


def test_deterministic_per_seed(labels, tmp_path):
    path, _ = labels
    assert generate(path, seed=3) == generate(path, seed=3)
    assert generate(path, seed=3) != generate(path, seed=4)
    write_dataset(generate(path, seed=3), tmp_path / "a" / "train.jsonl", "llava", seed=3)
    write_dataset(generate(path, seed=3), tmp_path / "b" / "train.jsonl", "llava", seed=3)
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_every_question_type_uses_at_least_five_templates(samples):
    used = defaultdict(set)
    for s in samples:
        used[s.kind].add(s.template)
    assert set(used) == set(QUESTION_TYPES)
    assert {k: len(v) for k, v in used.items() if len(v) < 5} == {}


@pytest.mark.parametrize("kind, templates, fields", [
    ("rating", T.RATING, dict(name="blur", phrase="blur", levels="slight, mild")),
    ("score", T.SCORE, dict(name="noise", phrase="noise", scale=T.SCALE_TEXT[100])),
    ("yes_no", T.YES_NO, dict(noun="color distortion")),
    ("which_type", T.WHICH_TYPE, dict(brace="{A:[None], B:[motion blur]}", lines="A. None\nB. motion blur")),
    ("which_dimension", T.WHICH_DIMENSION, dict(brace="{A:[Blur], B:[Video quality is good]}", lines="A. Blur\nB. Video quality is good")),
    ("description", T.DESCRIPTION, {}),
    ("when", T.WHEN, dict(clause="the camera shake", noun="shaking")),
    ("how_often", T.HOW_OFTEN, dict(clause="the video lag", noun="lagging")),
    ("stall_summary", T.STALL_SUMMARY, {}),
])
def test_every_template_parses_back_to_its_type(kind, templates, fields):
    assert len(templates) >= 5
    for template in templates:
        assert parse_question(template.text.format(**fields)).kind == kind, template.text


# --- files -------------------------------------------------------------------------------------

def _check_record(fmt: str, record: dict, plain: bool) -> None:
    if fmt == "sharegpt":
        assert set(record) == {"id", "type", "messages", "videos"} and len(record["videos"]) == 1
        roles = [m["role"] for m in record["messages"]]
        assert roles == (["user", "assistant"] if plain else ["system", "user", "assistant"])
        assert all(isinstance(m["content"], str) and m["content"] for m in record["messages"])
        return
    assert set(record) == {"id", "video", "type", "conversations"} and isinstance(record["video"], str)
    turns = record["conversations"]
    assert all(set(t) == {"from", "value"} and t["value"] for t in turns)
    expected = ["human", "gpt"] if plain or fmt == "llava" else ["system", "human", "gpt"]
    assert [t["from"] for t in turns] == expected
    prompt = turns[0]["value"]
    if not plain:
        assert "<image>" in prompt and "<motion>" in prompt


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("plain", [False, True])
def test_formats_are_structurally_valid_and_split_by_video(labels, tmp_path, fmt, plain):
    path, rows = labels
    counts = write_dataset(generate(path, system_prompt=not plain), tmp_path / "s2i_train.jsonl", fmt)
    videos_of = {}
    for split, file in split_paths(tmp_path / "s2i_train.jsonl").items():
        if split == "labels":
            assert file.name == "s2i_labels.csv"
            continue
        records = [json.loads(line) for line in file.read_text().splitlines()]
        assert sum(counts[split].values()) == len(records)
        for record in records:
            _check_record(fmt, record, plain)
        videos_of[split] = {r.get("video") or r["videos"][0] for r in records}
        assert len({r["id"] for r in records}) == len(records)
    assert [len(videos_of[s]) for s in ("train", "val", "test")] == [40, 5, 5]
    assert videos_of["train"] | videos_of["val"] | videos_of["test"] == set(rows)
    assert not (videos_of["train"] & videos_of["val"] or videos_of["train"] & videos_of["test"] or videos_of["val"] & videos_of["test"])


def test_split_file_names():
    assert {k: p.name for k, p in split_paths("out/data.jsonl").items()} == {
        "train": "data.jsonl", "val": "data_val.jsonl", "test": "data_test.jsonl", "labels": "data_labels.csv"}
    assert split_paths("train.jsonl")["val"].name == "val.jsonl"


# --- evaluate-text ---------------------------------------------------------------------------

def test_evaluate_text_rewards_the_right_description_only(labels, samples, tmp_path):
    path, _ = labels
    descriptions = {s.video: s.answer for s in samples if s.kind == "description"}
    right = evaluate_text(descriptions, path).aggregate()
    assert right["videos"] == 50
    for averaging in ("micro", "macro"):
        for part in ("types", "levels", "all"):
            assert right[averaging][part] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    videos = sorted(descriptions)
    shifted = {v: descriptions[videos[(i + 1) % len(videos)]] for i, v in enumerate(videos)}
    wrong = evaluate_text(shifted, path).aggregate()["micro"]["all"]
    assert wrong["precision"] < 0.6 and wrong["recall"] < 0.6

    file = tmp_path / "pred.jsonl"
    file.write_text("\n".join(json.dumps({"video": Path(v).name, "conversations": [
        {"from": "human", "value": "Describe it."}, {"from": "gpt", "value": t}]}) for v, t in descriptions.items()))
    assert read_predictions(file)[Path(videos[0]).name] == descriptions[videos[0]]
    assert evaluate_text(file, path).aggregate()["micro"]["all"]["recall"] == 1.0  # matched by file name


def test_evaluate_text_ignores_negated_claims(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("video,color,noise,artifact,blur,temporal,overall,distortions\n"
                    "a.mp4,90,90,90,30,90,50,motion blur\n")
    text = "There is no noise and no shaking. The blur is strong, mostly motion blur. The overall quality is fair."
    (score,) = evaluate_text({"a.mp4": text}, path).videos
    assert score.types.precision == 1.0 and score.levels.precision == 1.0
    assert score.levels.recall == pytest.approx(2 / 6)  # blur strong, overall fair


# --- CLI ----------------------------------------------------------------------------------------

def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("instruct")(instruct_command)
    app.command("evaluate-text")(evaluate_text_command)
    return app


def test_cli_instruct_and_evaluate_text(labels, tmp_path):
    path, _ = labels
    result = CliRunner().invoke(_app(), ["instruct", str(path), "-o", str(tmp_path / "train.jsonl"), "--format", "sharegpt"])
    assert result.exit_code == 0, result.output
    for kind in QUESTION_TYPES:
        assert kind in result.output
    assert (tmp_path / "val.jsonl").exists() and (tmp_path / "test.jsonl").exists()

    predictions = tmp_path / "pred.jsonl"
    records = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    predictions.write_text("\n".join(json.dumps(r) for r in records if r["type"] == "description"))
    result = CliRunner().invoke(_app(), ["evaluate-text", str(predictions), str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["aggregate"]["micro"]["all"]["precision"] == 1.0

    result = CliRunner().invoke(_app(), ["instruct", "-o", str(tmp_path / "x.jsonl")])
    assert result.exit_code != 0 and "labels CSV or --from-videos" in result.output


def test_five_point_scores_follow_finevd(labels):
    path, rows = labels
    for s in generate(path, score_scale=5):
        if s.kind == "score":
            value = float(re.findall(r"\d+\.\d+", s.answer)[-1])
            assert value == pytest.approx(1 + 4 * float(rows[s.video][str(_dimension_in(s.question))]) / 100, abs=0.006)
    with pytest.raises(ValueError, match="score_scale"):
        generate(path, score_scale=10)
