"""Evaluation of assessments against human labels: VQA correlations and FineVQ's question accuracies.

Everything here reads `Assessment`s and `Reference`s and knows nothing of how scores were
made, so the fast assessor, the LMM and any future model are judged by the same code.

    >>> refs = load_dataset("konvid1k", "videos/", labels="konvid_1k.csv")
    >>> report = evaluate(refs, assessments)
    >>> rich.print(report); report.save_scatter("plots/"); report.to_json()
"""

from .accuracy import Rate, YesNo
from .datasets import DATASETS, DatasetError, DatasetSpec, load_dataset
from .metrics import DimensionMetrics, Estimate, Fit, correlate, fit_mapping
from .references import GOOD, Reference, read_references
from .report import EvaluationReport, Failure, evaluate

__all__ = [
    "DATASETS",
    "DatasetError",
    "DatasetSpec",
    "DimensionMetrics",
    "Estimate",
    "EvaluationReport",
    "Failure",
    "Fit",
    "GOOD",
    "Rate",
    "Reference",
    "YesNo",
    "correlate",
    "evaluate",
    "fit_mapping",
    "load_dataset",
    "read_references",
]
