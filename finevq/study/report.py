"""The study owner's HTML report: MOS histograms per dimension (FineVD's figure 3), agreement
and a table of raters with why each rejected one was dropped.

One self-contained file with inline SVG, so it can be mailed or archived next to the labels
and opened on a machine without internet.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

import numpy as np

from ..taxonomy import DIMENSIONS, level_center, level_of
from .labels import MAJORITY, TYPE_NAMES, StudyMos

_BINS = 20
_W, _H, _PAD_L, _PAD_B, _PAD_T = 380, 210, 34, 42, 12

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.grid { display: flex; flex-wrap: wrap; gap: 1.2em; }
figure { margin: 0; } figcaption { font-weight: 600; text-align: center; }
table { border-collapse: collapse; } th, td { padding: .25em .6em; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child, .raters td:last-child { text-align: left; }
td:first-child { white-space: nowrap; }
tr.rejected td { color: #a33; }
.muted { color: #777; }
"""


def _fmt(x: float, digits: int = 2) -> str:
    return "–" if not np.isfinite(x) else f"{x:.{digits}f}"


def histogram_svg(dimension: str, values: np.ndarray) -> str:
    """A histogram of 0-100 MOS in 5-point bins, with the level bands named under the axis."""
    values = values[np.isfinite(values)]
    counts, _ = np.histogram(values, bins=_BINS, range=(0.0, 100.0))
    top = max(1, int(counts.max()) if counts.size else 1)
    plot_w, plot_h = _W - _PAD_L - 8, _H - _PAD_B - _PAD_T
    x = lambda score: _PAD_L + plot_w * score / 100.0  # noqa: E731
    y = lambda count: _PAD_T + plot_h * (1 - count / top)  # noqa: E731
    parts = [
        f'<svg class="histogram" data-dimension="{dimension}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="histogram of {dimension} MOS">'
    ]
    for band in range(5):
        centre = level_center(band)
        shade = "#f4f6fa" if band % 2 else "#ffffff"
        parts.append(
            f'<rect x="{x(centre - 10):.1f}" y="{_PAD_T}" width="{plot_w / 5:.1f}" height="{plot_h}" fill="{shade}"/>'
        )
        parts.append(
            f'<text x="{x(centre):.1f}" y="{_H - 8}" font-size="11" text-anchor="middle" fill="#555">'
            f"{level_of(dimension, centre)}</text>"
        )
    for i, count in enumerate(counts):
        if count:
            left = x(100.0 * i / _BINS) + 1
            parts.append(
                f'<rect x="{left:.1f}" y="{y(count):.1f}" width="{plot_w / _BINS - 2:.1f}" '
                f'height="{_PAD_T + plot_h - y(count):.1f}" fill="#3b6fb6"><title>{count} videos, '
                f"MOS {100 * i / _BINS:.0f}-{100 * (i + 1) / _BINS:.0f}</title></rect>"
            )
    base = _PAD_T + plot_h
    parts.append(f'<line x1="{_PAD_L}" y1="{base}" x2="{_PAD_L + plot_w}" y2="{base}" stroke="#333"/>')
    for tick in range(0, 101, 20):
        parts.append(f'<text x="{x(tick):.1f}" y="{base + 14}" font-size="10" text-anchor="middle">{tick}</text>')
    parts.append(f'<text x="{_PAD_L - 6}" y="{_PAD_T + 8}" font-size="10" text-anchor="end">{top}</text>')
    parts.append(f'<text x="{_PAD_L - 6}" y="{base}" font-size="10" text-anchor="end">0</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(header: list[str], body: list[list[str]], row_classes: list[str] | None = None, css: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = []
    for i, cells in enumerate(body):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        rows.append(f"<tr{cls}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render(study: StudyMos, title: str) -> str:
    r, raters, cfg = study.result, study.result.raters, study.config
    labelled = study.labelled()
    accepted = raters.accepted
    mos = r.mos[labelled]

    figures = "".join(
        f"<figure>{histogram_svg(d.value, mos[:, j])}<figcaption>{d.value}</figcaption></figure>"
        for j, d in enumerate(DIMENSIONS)
    )
    agreement = _table(
        ["dimension", "split-half SRCC", "mean MOS", "mean 95% CI ±", "videos"],
        [
            [d.value, _fmt(r.split_half_srcc[j], 3), _fmt(np.nanmean(mos[:, j]) if len(mos) else np.nan, 1),
             _fmt(np.nanmean(r.ci95[labelled, j]) if labelled else np.nan, 1), str(len(labelled))]
            for j, d in enumerate(DIMENSIONS)
        ],
    )
    majority = r.tick_share[labelled] >= MAJORITY
    types = _table(
        ["distortion type", "videos (≥ half of raters)", "mean share of raters"],
        [
            [
                html.escape(t),
                str(int(majority[:, k].sum())),
                _fmt(np.nanmean(r.tick_share[labelled, k]) if labelled else np.nan),
            ]
            for k, t in enumerate(TYPE_NAMES)
        ],
    )
    rater_rows, classes = [], []
    for i, annotator in enumerate(study.annotators):
        flat = [d.value for j, d in enumerate(DIMENSIONS) if raters.flat[i, j]]
        rater_rows.append([
            html.escape(annotator.name),
            str(int(raters.n_videos[i])),
            _fmt(study.median_seconds[i], 1),
            f"{int(raters.outliers_high[i])} / {int(raters.outliers_low[i])} of {int(raters.tested[i])}",
            _fmt(raters.control_error[i]),
            f"{_fmt(raters.repeat_error[i])} ({int(raters.repeat_pairs[i])})",
            _fmt(raters.srcc_with_others[i], 3),
            html.escape(", ".join(flat)) or "–",
            "accepted" if accepted[i] else "rejected: " + html.escape("; ".join(raters.reasons[i])),
        ])
        classes.append("" if accepted[i] else "rejected")
    rater_table = _table(
        ["rater", "videos", "median s/video", "outliers high / low", "control error", "repeat change (pairs)",
         "SRCC with others", "flat dimensions", "status"],
        rater_rows,
        classes,
        css="raters",
    )
    settings = "".join(f"<li><code>{html.escape(k)}</code> = {html.escape(str(v))}</li>" for k, v in vars(cfg).items())
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="muted">Generated {when}. {len(labelled)} of {len(study.videos)} videos labelled;
{int(accepted.sum())} of {len(study.annotators)} raters accepted.</p>
<h2>MOS distributions</h2>
<div class="grid">{figures}</div>
<h2>Agreement</h2>
<p>Split-half SRCC: the correlation between the MOS of two random halves of the accepted raters,
averaged over {cfg.split_half_rounds} splits. The confidence interval is BT.500's 1.96·S/√N.</p>
{agreement}
<h2>Distortion types</h2>
{types}
<h2>Raters</h2>
<p>Outliers: answers outside the panel's mean ± k·S (BT.500). Control error and repeat change are mean
absolute differences in levels. SRCC with others: each rater against the MOS of the other accepted raters.</p>
{rater_table}
<h2>Settings</h2>
<ul>{settings}</ul>
</body></html>
"""
