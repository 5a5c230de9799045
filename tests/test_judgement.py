"""How the learned heads' numbers become reported distortions (no video needed)."""

from finevq.assessors.fast import NAME_A_CAUSE_FROM_LEVEL, TYPE_THRESHOLD, Judgement
from finevq.taxonomy import level_index
from finevq.taxonomy import Dimension

#: color, noise, artifact, blur, temporal, overall
SCORES = [88.0, 91.0, 85.0, 45.0, 90.0, 47.0]


def test_confident_types_are_reported_most_probable_first_with_the_score_band_as_severity():
    judged = Judgement.of(SCORES, {"gaussian blur": 0.9, "motion blur": 0.7, "gaussian noise": 0.1})
    blur = judged.distortions[Dimension.BLUR]
    assert [d.type for d in blur] == ["gaussian blur", "motion blur"]
    assert {d.severity for d in blur} == {"mild"}  # 40-60 is the third band
    assert judged.distortions[Dimension.NOISE] == []
    assert judged.most_impactful is Dimension.BLUR


def test_a_degraded_dimension_names_its_most_probable_type_even_below_the_threshold():
    judged = Judgement.of(SCORES, {"gaussian blur": 0.3, "resolution blur": 0.45, "banding": 0.2})
    blur = judged.distortions[Dimension.BLUR]
    assert [(d.type, d.confidence) for d in blur] == [("resolution blur", 0.45)]
    assert 0.45 < TYPE_THRESHOLD
    # artifact scores in its top band, so an unlikely type there stays unreported
    assert judged.distortions[Dimension.ARTIFACT] == []


def test_a_slightly_degraded_dimension_names_only_confident_types():
    scores = [88.0, 91.0, 85.0, 70.0, 90.0, 68.0]
    assert level_index(70.0) < NAME_A_CAUSE_FROM_LEVEL
    assert Judgement.of(scores, {"resolution blur": 0.45}).distortions[Dimension.BLUR] == []


def test_a_confident_type_is_reported_only_below_the_top_band():
    """The rating and the attribution agree: an undistorted (excellent) dimension names no
    type however sure the classifier is; one band lower it is a slight one."""
    judged = Judgement.of(SCORES, {"gaussian noise": 0.8})
    assert judged.distortions[Dimension.NOISE] == []
    assert judged.most_impactful is Dimension.BLUR
    slightly_noisy = [88.0, 75.0, 85.0, 90.0, 90.0, 74.0]
    judged = Judgement.of(slightly_noisy, {"gaussian noise": 0.8})
    assert [(d.type, d.severity) for d in judged.distortions[Dimension.NOISE]] == [("gaussian noise", "slight")]
