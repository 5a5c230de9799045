"""Typer commands for ``finevq instruct``, ``finevq ask`` and ``finevq evaluate-text``: parse, call, print.

The main app mounts these functions (``app.command("instruct")(instruct_command)``), so
this module builds no app of its own. The assessor is imported only by the commands that
assess videos, so reading labels never loads the video stack.
"""

from __future__ import annotations

import json
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from .ask import ask, ask_model, unsupported
from .dataset import SPLITS, split_paths, write_dataset
from .evaluate import evaluate_text
from .generate import generate
from .intents import QUESTION_TYPES, NotUnderstood
from .labels import LabelsError, write_labels
from .parse import parse_question
from .videos import label_videos

console = Console()
errors = Console(stderr=True)


class OutputFormat(str, Enum):
    internvl = "internvl"
    llava = "llava"
    sharegpt = "sharegpt"


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(1)


def _fractions(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not three comma-separated numbers") from None
    if len(parts) != 3:
        raise typer.BadParameter(f"{text!r} is not three comma-separated numbers")
    return parts


def instruct_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="The train file; val and test files are written beside it.")],
    labels: Annotated[Optional[Path], typer.Argument(help="Labels CSV: video, six 0-100 scores, optional levels and distortions.",
                                                     exists=True, dir_okay=False)] = None,
    from_videos: Annotated[Optional[Path], typer.Option("--from-videos", help="Label the videos in this folder with the fast "
                                                        "assessor first (SIG), instead of reading a labels CSV.",
                                                        exists=True, file_okay=False)] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="Conversation format of the trainer.")] = OutputFormat.internvl,
    seed: Annotated[int, typer.Option(help="Seed for paraphrases, options and the split.")] = 0,
    split: Annotated[str, typer.Option(help="Train,val,test shares of the videos.")] = "0.8,0.1,0.1",
    score_scale: Annotated[int, typer.Option(help="Scale of scoring answers: 100 (finevq) or 5 (FineVD's 1-5).")] = 100,
    plain: Annotated[bool, typer.Option("--plain", help="No VQA² system prompt: questions exactly as FineVQ's files.")] = False,
) -> None:
    """Write instruction data (rating, scoring, yes/no, which, temporal, description) from labels."""
    if (labels is None) == (from_videos is None):
        raise typer.BadParameter("give either a labels CSV or --from-videos DIR")
    fractions = _fractions(split)
    source = labels
    if from_videos is not None:
        facts, failed = label_videos(from_videos)
        for failure in failed:
            errors.print(f"[yellow]skipped[/yellow] {failure.video}: {failure.error.code}: {failure.error.message}")
        if not facts:
            raise _fail(f"no video under {from_videos} could be assessed")
        source = facts
        console.print(f"labels of {len(facts)} videos written to {write_labels(facts, split_paths(output)['labels'])}")
    try:
        samples = generate(source, seed=seed, score_scale=score_scale, system_prompt=not plain)
        counts = write_dataset(samples, output, fmt.value, seed, fractions)
    except (LabelsError, ValueError) as exc:
        raise _fail(str(exc)) from None
    console.print(_counts_table(counts))
    for name, path in split_paths(output).items():
        if name in SPLITS:
            console.print(f"{name}: {path}")


def _counts_table(counts: dict[str, Counter]) -> Table:
    table = Table(title="questions per type")
    for column in ("type", *SPLITS, "total"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for kind in QUESTION_TYPES:
        row = [counts[s][kind] for s in SPLITS]
        table.add_row(kind, *map(str, row), str(sum(row)))
    totals = [sum(counts[s].values()) for s in SPLITS]
    table.add_row("all", *map(str, totals), str(sum(totals)), style="bold")
    return table


def ask_command(
    video: Annotated[Path, typer.Argument(help="The video to ask about.", exists=True, dir_okay=False)],
    question: Annotated[str, typer.Argument(help="A question in one of FineVQ's types; choices as {A:[...], B:[...]} or 'A. ...' lines.")],
    model: Annotated[str, typer.Option("--model", help="'fast' (the fast assessor) or 'lmm:PATH' (a tuned LMM).")] = "fast",
    as_json: Annotated[bool, typer.Option("--json", help="Print type, short value and text as JSON.")] = False,
) -> None:
    """Answer a quality question about a video (rating, score, yes/no, which, when, how often, describe)."""
    if model.startswith("lmm:"):
        try:
            reply = ask_model(model[4:], str(video), question)
        except NotImplementedError as exc:
            raise _fail(str(exc)) from None
    elif model != "fast":
        raise typer.BadParameter(f"--model must be 'fast' or 'lmm:PATH', not {model!r}")
    elif isinstance(intent := parse_question(question), NotUnderstood):
        reply = unsupported(intent.reason)  # no need to assess a video for a question we cannot answer
    else:
        from finevq import Assessor

        assessment = Assessor().assess(str(video))
        if not assessment.ok:
            raise _fail(f"{video}: {assessment.error.code}: {assessment.error.message}")
        reply = ask(assessment, question)
    if as_json:
        console.print_json(json.dumps({"type": reply.kind, "value": reply.value, "text": reply.text}))
    else:
        console.print(reply.text, highlight=False, markup=False)


def evaluate_text_command(
    predictions: Annotated[Path, typer.Argument(help="JSONL with a video and a text per line (or conversation records).",
                                                exists=True, dir_okay=False)],
    labels: Annotated[Path, typer.Argument(help="Labels CSV of the same videos.", exists=True, dir_okay=False)],
    per_video: Annotated[bool, typer.Option("--per-video", help="Also list each video's precision and recall.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the aggregate and per-video scores as JSON.")] = False,
) -> None:
    """Precision and recall of the distortion types and levels that free-text justifications claim."""
    try:
        result = evaluate_text(predictions, labels)
    except (LabelsError, ValueError) as exc:
        raise _fail(str(exc)) from None
    summary = result.aggregate()
    if as_json:
        console.print_json(json.dumps({"aggregate": summary, "videos": [v.as_dict() for v in result.videos],
                                       "unlabelled": result.unlabelled}))
        return
    table = Table(title=f"{summary['videos']} videos ({summary['unlabelled_predictions']} predictions without labels)")
    for column in ("claims", "averaging", "precision", "recall", "F1"):
        table.add_column(column)
    for part in ("types", "levels", "all"):
        for averaging in ("micro", "macro"):
            values = summary[averaging][part] or {}
            table.add_row(part, averaging, *(_pct(values.get(m)) for m in ("precision", "recall", "f1")))
    console.print(table)
    if per_video:
        rows = Table("video", "precision", "recall", "wrong", "missed")
        for score in result.videos:
            combined = score.combined
            rows.add_row(score.video, _pct(combined.precision), _pct(combined.recall), ", ".join(score.wrong), ", ".join(score.missed))
        console.print(rows)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
