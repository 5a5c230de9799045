"""`ask` on constructed assessments, its parser on FineVQ's released questions, and the CLI around it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import finevq
from finevq.instruct import QUESTION_TYPES, ask, ask_model, parse_question, read_labels
from finevq.instruct.cli import ask_command, instruct_command
from finevq.schema import Assessment, DetectedDistortion, Event, ModelInfo, Timeline, VideoInfo, dimension_result
from finevq.taxonomy import DIMENSIONS, Dimension

FINEVQ_QA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "labels" / "finevq-qa"
D = Dimension


def make_assessment(
    video: str = "clip.mp4",
    scores: dict[Dimension, float] | None = None,
    types: dict[Dimension, list[tuple[str, str]]] | None = None,
    events: list[tuple[str, float, float]] | None = None,
    most_impactful: Dimension | None = None,
) -> Assessment:
    scores = {d: 90.0 for d in DIMENSIONS} | (scores or {})
    types = types or {}
    dims = {
        d: dimension_result(d, scores[d], None if d is D.OVERALL else
                            [DetectedDistortion(type=t, severity=s, confidence=0.9) for t, s in types.get(d, [])])
        for d in DIMENSIONS
    }
    timeline = None
    if events is not None:
        seconds = [float(i) for i in range(10)]
        timeline = Timeline(seconds=seconds, scores={d: [scores[d]] * 10 for d in DIMENSIONS},
                            events=[Event(kind=k, start=s, end=e) for k, s, e in events])
    return Assessment(video=video, model=ModelInfo(name="test", version="0"), dimensions=dims,
                      most_impactful=most_impactful, timeline=timeline,
                      info=VideoInfo(duration=10.0, fps=30.0, frame_count=300, width=640, height=360, codec="h264"))


@pytest.fixture
def blurry() -> Assessment:
    return make_assessment(
        scores={D.BLUR: 25.0, D.NOISE: 65.0, D.COLOR: 72.0, D.OVERALL: 41.0},
        types={D.BLUR: [("motion blur", "strong"), ("defocus", "mild")], D.NOISE: [("gaussian noise", "mild")]},
        events=[("stall", 2.0, 3.5), ("freeze", 7.0, 8.0), ("shake", 4.0, 4.5)],
        most_impactful=D.BLUR,
    )


@pytest.fixture
def clean() -> Assessment:
    return make_assessment(events=[])


def test_rating_and_score_per_dimension(blurry):
    expected = {D.COLOR: "good", D.NOISE: "slight", D.ARTIFACT: "undistorted", D.BLUR: "strong", D.TEMPORAL: "excellent", D.OVERALL: "fair"}
    for dim, level in expected.items():
        name = "overall quality" if dim is D.OVERALL else dim.value
        rating = ask(blurry, f"Considering {name}, how would you rate the quality level of this video?")
        assert (rating.kind, rating.value) == ("rating", level) and level in rating.text
        score = ask(blurry, f"Considering {name}, please give the quality score of this video.")
        assert (score.kind, score.value) == ("score", blurry.score(dim))
    assert ask(blurry, "How would you rate the overall quality of this video?").value == "fair"
    assert ask(blurry, "<|video|> How would you rate the overall quality of this video?").value == "fair"
    assert ask(blurry, "Score the blur of this video on a scale from 1 to 5.").value == 2.0


@pytest.mark.parametrize("dimension, noun, answer", [
    (D.BLUR, "blur", "Yes"), (D.NOISE, "noise", "Yes"), (D.COLOR, "color distortion", "Yes"),
    (D.ARTIFACT, "artifact", "No"), (D.TEMPORAL, "temporal distortion", "Yes"),  # temporal: the stalls and shake
])
def test_yes_no_per_dimension(blurry, dimension, noun, answer):
    finevq_style = f"If there is no {noun} in the video, please answer [No]. If there is {noun} in the video, please answer [Yes]."
    for question in (finevq_style, f"Is there any {noun} in this video?", f"Does this video suffer from {noun}?"):
        reply = ask(blurry, question)
        assert (reply.kind, reply.value) == ("yes_no", answer), question
        assert reply.text.startswith(answer)
    assert ask(blurry, "Is there any motion blur in this video?").value == "Yes"
    assert ask(blurry, "Is there any over dark in this video?").value == "No"
    assert ask(blurry, "Is the color of this video good?").value == "Yes"
    assert ask(blurry, "Is the overall quality of this video excellent?").value == "No"


def test_which_type_with_shuffled_options_and_none(blurry, clean):
    rng = random.Random(1)
    for _ in range(10):
        options = ["None", "motion blur", "over dark", "stripe noise", "ring artifact"]
        rng.shuffle(options)
        brace = "{" + ", ".join(f"{'ABCDE'[i]}:[{o}]" for i, o in enumerate(options)) + "}"
        question = f"Please select one distortion type from below options{brace}Just answer the corresponding letter."
        letter = "ABCDE"[options.index("motion blur")]
        reply = ask(blurry, question)
        assert (reply.kind, reply.value, reply.text) == ("which_type", letter, f"{letter}. motion blur")
        none_letter = "ABCDE"[options.index("None")]
        assert ask(clean, question).value == none_letter
    lines = "Which distortion exists in this video?\nA. sqaure artifact\nB. gussian noise\nC. None"
    assert ask(blurry, lines).text == "B. gussian noise"  # FineVD's spellings are understood, and echoed as asked
    # two present types: the one of the most impactful dimension wins
    assert ask(blurry, "Which distortion exists? {A:[gaussian noise], B:[defocus blur], C:[None]}").value == "B"


def test_which_dimension_with_video_quality_is_good(blurry, clean):
    question = ("Which distortion dimension has the greatest impact on video quality, choose from the following "
                "options{A:[Noise], B:[Video quality is good], C:[Blur], D:[Color], E:[Temporal]}(Just answer the corresponding letter)")
    assert ask(blurry, question).text == "C. Blur"
    assert ask(clean, question).text == "B. Video quality is good"
    # the dominant dimension is not offered: the worst offered one that is distorted
    assert ask(blurry, "Which dimension hurts the quality most?\nA. Color\nB. Noise\nC. Video quality is good").text == "B. Noise"


def test_when_how_often_and_stall_summary(blurry, clean):
    when = ask(blurry, "When does the video stall?")
    assert when.value == ((2.0, 3.5), (7.0, 8.0))
    assert when.text == "The video stalls from 2.0 s to 3.5 s and from 7.0 s to 8.0 s."
    assert ask(blurry, "At what time does the camera shake?").value == ((4.0, 4.5),)
    assert ask(blurry, "How often does the video stall?").value == 2
    assert ask(blurry, "How many times does the camera shake?").text == "The camera shakes once, 0.5 s in total."
    assert ask(blurry, "How often does the picture flicker?").value == 0
    summary = ask(blurry, "Please summarize the stalling in this video.")
    assert summary.value == 2 and "1.5 and 1.0 s" in summary.text and "25.0%" in summary.text
    assert ask(clean, "When does the video stall?").value == ()
    no_timeline = make_assessment()
    assert "no timeline" in ask(no_timeline, "When does the video stall?").text


def test_description_is_the_hierarchical_chain(blurry):
    reply = ask(blurry, "Please describe the quality of this video in detail.")
    assert reply.kind == "description" and reply.value == "fair"
    text = reply.text
    assert text.index("strong") < text.index("greatest impact") < text.index("overall quality of this video is fair")
    assert "motion blur" in text and "gaussian noise" in text


@pytest.mark.parametrize("question", [
    "What's the weather like in this video?",
    "When does the blur get worse?",
    "Is the playback smooth? A. Yes B. No",
    "Considering noise and blur, how would you rate the quality level of this video?",
])
def test_unknown_questions_get_the_supported_types(blurry, question):
    reply = ask(blurry, question)
    assert reply.kind == "unsupported" and reply.value is None
    for kind, example in QUESTION_TYPES.items():
        assert kind in reply.text and example in reply.text


def test_failed_assessment_is_an_error():
    failed = Assessment.failure("x.mp4", ModelInfo(name="test", version="0"), "truncated", "too few frames")
    with pytest.raises(ValueError, match="truncated"):
        ask(failed, "How would you rate the overall quality of this video?")


def test_lmm_hook_fails_clearly():
    with pytest.raises(NotImplementedError, match="the LMM assessor is not available in this build"):
        ask_model("weights/", "clip.mp4", "Describe it.")


# --- CLI with the assessor replaced --------------------------------------------------------

class FakeAssessor:
    def assess(self, path: str) -> Assessment:
        if "broken" in path:
            return Assessment.failure(path, ModelInfo(name="test", version="0"), "truncated", "too few frames")
        rng = random.Random(path)
        scores = {d: rng.uniform(10, 95) for d in DIMENSIONS}
        types = {D.BLUR: [("motion blur", "mild")]} if scores[D.BLUR] < 80 else {}
        return make_assessment(path, scores, types, events=[("stall", 1.0, 2.0)], most_impactful=D.BLUR)


@pytest.fixture
def fake_assessor(monkeypatch):
    # set in the module's dict: finevq resolves Assessor lazily, and reading it would load the video stack
    monkeypatch.setitem(vars(finevq), "Assessor", FakeAssessor)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("ask")(ask_command)
    app.command("instruct")(instruct_command)
    return app


def test_cli_ask(fake_assessor, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0")
    result = CliRunner().invoke(_app(), ["ask", str(video), "When does the video stall?", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"type": "when", "value": [[1.0, 2.0]], "text": "The video stalls from 1.0 s to 2.0 s."}
    result = CliRunner().invoke(_app(), ["ask", str(video), "Tell me a joke", "--model", "fast"])
    assert result.exit_code == 0 and "I answer these question types" in result.output
    result = CliRunner().invoke(_app(), ["ask", str(video), "Describe it.", "--model", "lmm:weights/"])
    assert result.exit_code == 1 and "the LMM assessor is not available in this build" in result.output


def test_cli_instruct_from_videos(fake_assessor, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for i in range(12):
        (folder / f"v{i:02d}.mp4").write_bytes(b"\0")
    (folder / "broken.mp4").write_bytes(b"\0")
    (folder / "notes.txt").write_text("not a video")
    out = tmp_path / "sig" / "train.jsonl"
    result = CliRunner().invoke(_app(), ["instruct", "--from-videos", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "broken.mp4" in result.output and "truncated" in result.output
    facts = read_labels(out.parent / "labels.csv")
    assert len(facts) == 12 and all(f.events is not None and f.most_impactful is D.BLUR for f in facts)
    lines = sum(len((out.parent / n).read_text().splitlines()) for n in ("train.jsonl", "val.jsonl", "test.jsonl"))
    assert lines > 12 * 20


# --- FineVQ's released questions -----------------------------------------------------------

@pytest.mark.skipif(not FINEVQ_QA.is_dir(), reason="FineVQ's question files are not here (../shared/data/labels/finevq-qa)")
def test_real_finevq_questions_are_understood():
    kinds = {"yesno": "yes_no", "abcd2": "which_dimension", "abcd": "which_type"}
    checked = 0
    for path in sorted(FINEVQ_QA.glob("*.jsonl")):
        expected = next((kind for prefix, kind in kinds.items() if path.name.startswith(prefix)), None)
        for line in path.read_text(encoding="utf-8").splitlines():
            question, reply = (turn["value"] for turn in json.loads(line)["conversations"])
            intent = parse_question(question)
            assert intent.kind != "unsupported", (path.name, question, intent)
            if expected is None:
                continue
            assert intent.kind == expected, (path.name, question)
            if expected.startswith("which"):
                assert reply in [o.letter for o in intent.options]
                assert all(o.value is None or (expected == "which_dimension") == isinstance(o.value, Dimension)
                           for o in intent.options)
            checked += 1
    assert checked >= 700
