"""Plain sentences from an Assessment, in the spirit of FineVD's answers.

Only what the assessment holds is said: levels, reported distortions, events and the
per-second timeline. Shared by the fast and LMM assessors and by instruction generation,
so every path words the same facts the same way.
"""

from __future__ import annotations

from .schema import Assessment
from .taxonomy import DISTORTION_DIMENSIONS, Dimension, level_index

_NOUN = {
    Dimension.COLOR: "color",
    Dimension.NOISE: "noise",
    Dimension.ARTIFACT: "compression and other artifacts",
    Dimension.BLUR: "blur",
    Dimension.TEMPORAL: "temporal stability",
}
#: Below this frame rate motion visibly steps (film runs at 24, video at 25-30), and the
#: motion path reads the stream's own intervals as slots missing from a smooth rate: the
#: description names the rate itself rather than leaving "lagging" unexplained.
LOW_FRAME_RATE = 15.0
_EVENT_WORDS = {"stall": "stalls", "freeze": "freezes", "shake": "shakes", "flicker": "flickers", "drop": "drops frames"}


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _span(start: float, end: float) -> str:
    return f"{start:.1f}–{end:.1f} s" if end - start >= 0.05 else f"{start:.1f} s"


def _dimension_sentence(a: Assessment, dim: Dimension) -> str:
    result = a.dimensions[dim]
    found = [f"{d.severity} {d.type}" for d in result.distortions or []]
    detail = f", with {_join(found)}" if found else ""
    subject = "the temporal quality" if dim is Dimension.TEMPORAL else f"the {dim.value}"
    verb = "is" if dim in (Dimension.COLOR, Dimension.TEMPORAL) else "level is"
    return f"{subject[0].upper()}{subject[1:]} {verb} {result.level} ({result.score:.0f}/100){detail}."


def _events_sentence(a: Assessment) -> str | None:
    parts = []
    if a.stalls and a.stalls.count:
        times = ", ".join(_span(e.start, e.end) for e in a.timeline.events if e.kind == "stall")[:80] if a.timeline else ""
        parts.append(
            f"the picture stalls {a.stalls.count} time{'s' if a.stalls.count > 1 else ''} for {a.stalls.total_seconds:.1f} s in all"
            + (f" (at {times})" if times else "")
        )
    for kind in ("shake", "flicker", "drop"):
        spans = [e for e in (a.timeline.events if a.timeline else []) if e.kind == kind]
        if spans:
            where = ", ".join(_span(e.start, e.end) for e in spans[:3]) + (" and later" if len(spans) > 3 else "")
            parts.append(f"it {_EVENT_WORDS[kind]} at {where}")
    if not parts:
        return None
    text = "; ".join(parts)
    if level_index(a.dimensions[Dimension.TEMPORAL].score) == 0:
        # the event detectors fire on slight shakes and flicker too; said bare after "temporal
        # shows no noticeable problems", they read as a contradiction
        return f"Slight events that do not lower the temporal score: {text}."
    return text[0].upper() + text[1:] + "."


def _frame_rate_sentence(a: Assessment) -> str | None:
    fps = a.info.fps if a.info else None
    if not fps or fps >= LOW_FRAME_RATE:
        return None
    return f"It plays at {fps:.3g} frames per second, a low frame rate."


def _lowest_second(a: Assessment) -> str | None:
    if not a.timeline or len(a.timeline.seconds) < 3:
        return None
    overall = [s for s in a.timeline.scores.get(Dimension.OVERALL, []) if s is not None]
    if not overall:
        return None
    worst = min(range(len(overall)), key=lambda i: overall[i])
    if max(overall) - overall[worst] < 10:
        return None
    return f"Quality is lowest around {a.timeline.seconds[worst]:.0f} s, where overall drops to {overall[worst]:.0f}/100."


def describe(a: Assessment) -> str:
    if not a.ok:
        return f"This video could not be assessed: {a.error.message}"
    overall = a.dimensions[Dimension.OVERALL]
    first = f"The overall quality of this video is {overall.level} ({overall.score:.0f}/100)"
    if a.most_impactful is not None:
        worst = a.dimensions[a.most_impactful]
        first += f", mainly affected by {_NOUN[a.most_impactful]}"
        if worst.distortions:
            first += f", especially {worst.distortions[0].type}"
    sentences = [first + "."]
    degraded = [d for d in DISTORTION_DIMENSIONS if level_index(a.dimensions[d].score) > 0]
    degraded.sort(key=lambda d: a.dimensions[d].score)
    sentences += [_dimension_sentence(a, d) for d in degraded]
    clean = [d.value for d in DISTORTION_DIMENSIONS if d not in degraded]
    if clean and degraded:
        sentences.append(f"{_join(clean).capitalize()} show{'s' if len(clean) == 1 else ''} no noticeable problems.")
    elif not degraded:
        sentences.append("No dimension shows a noticeable distortion.")
    for extra in (_frame_rate_sentence(a), _events_sentence(a), _lowest_second(a)):
        if extra:
            sentences.append(extra)
    if a.unmeasured:
        sentences.append("Not measured: " + "; ".join(a.unmeasured) + ".")
    return " ".join(sentences)
