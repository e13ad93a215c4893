"""`model: NAME`: merge a reusable negotiation model (models/NAME.yaml) into a case."""

from __future__ import annotations

from negotiate.case.source import SourceMap
from negotiate.errors import CaseError, Problem


def apply_model(data: dict, source: SourceMap, base_dir=None) -> tuple[dict, SourceMap]:
    raise CaseError([Problem("models are not available in this version", "model",
                             source.locate(("model",)), data.get("model"))])
