"""The result schema enforces its own invariants, so no assessor can emit an inconsistent record."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from finevq.cli import app
from finevq.describe import describe
from finevq.schema import Assessment, DetectedDistortion, ModelInfo, dimension_result
from finevq.taxonomy import DIMENSIONS, Dimension, distortion, level_of

MODEL = ModelInfo(name="test", version="0")


def _dims(**scores):
    out = {}
    for dim in DIMENSIONS:
        found = [DetectedDistortion(type="gaussian blur", severity="strong", confidence=0.9)] if dim is Dimension.BLUR and scores.get("blur", 90) < 40 else None
        out[dim] = dimension_result(dim, scores.get(dim.value, 90.0), found)
    return out


def test_levels_follow_twenty_point_bands():
    assert [level_of("blur", s) for s in (100, 80, 79.99, 60, 40, 20, 19.9, 0)] == [
        "undistorted", "undistorted", "slight", "slight", "mild", "strong", "severe", "severe"]
    assert level_of("overall", 55) == "fair"


def test_aliases_resolve_to_canonical_names():
    assert distortion("gussian noise").name == "gaussian noise"
    assert distortion("sqaure artifact").name == "square artifact"
    assert distortion("other tempporal distortion").dimension is Dimension.TEMPORAL
    with pytest.raises(KeyError):
        distortion("purple haze")


def test_complete_assessment_round_trips_through_json():
    a = Assessment(video="v.mp4", model=MODEL, dimensions=_dims(blur=25, overall=30), most_impactful=Dimension.BLUR)
    again = Assessment.model_validate_json(a.to_json())
    assert again == a
    assert again.dimensions[Dimension.BLUR].level == "strong"


def test_invariants_are_enforced():
    dims = _dims()
    with pytest.raises(ValidationError):
        Assessment(video="v", model=MODEL, dimensions={k: v for k, v in dims.items() if k is not Dimension.NOISE})
    with pytest.raises(ValidationError):  # level disagreeing with the dimension's scale
        bad = dict(dims)
        bad[Dimension.COLOR] = bad[Dimension.COLOR].model_copy(update={"level": "undistorted"})
        Assessment(video="v", model=MODEL, dimensions=bad)
    with pytest.raises(ValidationError):  # a blur type reported under noise
        bad = dict(dims)
        bad[Dimension.NOISE] = dimension_result(Dimension.NOISE, 30, [DetectedDistortion(type="motion blur", severity="strong", confidence=1)])
        Assessment(video="v", model=MODEL, dimensions=bad)
    with pytest.raises(ValidationError):  # a failure carries no dimensions
        Assessment(video="v", model=MODEL, dimensions=dims, error={"code": "internal", "message": "x"})
    with pytest.raises(ValidationError):
        DetectedDistortion(type="gaussian blur", severity="undistorted", confidence=0.5)


def test_description_only_says_what_the_record_holds():
    a = Assessment(video="v.mp4", model=MODEL, dimensions=_dims(blur=25, overall=35), most_impactful=Dimension.BLUR)
    text = describe(a)
    assert text.startswith("The overall quality of this video is poor")
    assert "mainly affected by blur, especially gaussian blur" in text
    assert "noise" in text and "stall" not in text
    good = Assessment(video="v.mp4", model=MODEL, dimensions=_dims())
    assert "No dimension shows a noticeable distortion" in describe(good)
    failed = Assessment.failure("x.mp4", MODEL, "truncated", "cut short")
    assert describe(failed) == "This video could not be assessed: cut short"


def test_events_are_said_as_slight_when_the_temporal_score_is_in_the_top_band():
    from finevq.schema import Event, Timeline

    timeline = Timeline(seconds=[0.0, 1.0], scores={d: [90.0, 90.0] for d in DIMENSIONS},
                        events=[Event(kind="shake", start=0.2, end=1.4)])
    steady = Assessment(video="v.mp4", model=MODEL, dimensions=_dims(), timeline=timeline)
    assert "Slight events that do not lower the temporal score: it shakes at 0.2–1.4 s." in describe(steady)
    shaky = Assessment(video="v.mp4", model=MODEL, dimensions=_dims(temporal=45, overall=45), timeline=timeline,
                       most_impactful=Dimension.TEMPORAL)
    text = describe(shaky)
    assert "It shakes at 0.2–1.4 s." in text and "Slight events" not in text


def test_a_low_frame_rate_is_named_from_the_stream():
    from finevq.schema import VideoInfo

    def text(fps):
        info = VideoInfo(duration=4.0, fps=fps, width=640, height=360, codec="h264")
        return describe(Assessment(video="v.mp4", model=MODEL, dimensions=_dims(temporal=30, overall=30), info=info,
                                   most_impactful=Dimension.TEMPORAL))

    assert "It plays at 3 frames per second, a low frame rate." in text(3.0)
    assert "It plays at 7.5 frames per second" in text(7.5)
    assert "frame rate" not in text(15.0) and "frame rate" not in text(29.97) and "frame rate" not in text(None)


def test_schema_command_prints_the_json_schema():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Assessment"
    assert {"dimensions", "timeline", "error", "most_impactful"} <= set(schema["properties"])
