"""Scatter plots of an evaluation: where the correlation numbers hide a pattern, the eye finds it.

Figures are drawn on matplotlib's Agg canvas directly, never through pyplot, so plotting
needs no display and leaves no global backend or figure state behind in the caller.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .report import EvaluationReport


def save_scatter(report: EvaluationReport, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for dim, metrics in report.correlation.items():
        if not metrics.available or dim not in report.points:
            continue
        predicted, truth = report.points[dim]
        figure = Figure(figsize=(5, 5), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.scatter(predicted, truth, s=10, alpha=0.5, edgecolors="none")
        curve = np.linspace(min(predicted), max(predicted), 200)
        axes.plot(curve, metrics.fit(curve), color="C1", label=f"{metrics.fit.kind} fit")
        axes.set(xlim=(0, 100), ylim=(0, 100), xlabel="predicted score", ylabel="human score")
        axes.set_title(f"{dim.value}: SRCC {metrics.srcc.value:.3f}, PLCC {metrics.plcc.value:.3f} (n={metrics.n})")
        axes.legend(loc="lower right")
        path = directory / f"scatter_{dim.value}.png"
        figure.savefig(path)
        written.append(path)
    return written
