"""Loading a case file: read it, merge its model, validate it.

`read` turns files into plain data with positions, `models` merges a
`model:`, `validate` checks the result; this module only chains them (and
re-exports their entry points for callers that import them from here).
"""

from __future__ import annotations

from pathlib import Path as FsPath

from negotiate.case.models import apply_model
from negotiate.case.read import MAX_FILE_BYTES, parse_document, read_capped, read_document
from negotiate.case.schema import Case
from negotiate.case.validate import changed_error, validate_data, validate_structure

__all__ = ["MAX_FILE_BYTES", "changed_error", "load_case", "parse_document", "read_capped", "read_document",
           "validate_data", "validate_structure"]


def load_case(path: str | FsPath, model_path: list | None = None) -> Case:
    """Read, merge its model, and fully validate a case file.

    `model_path`: folders of the user's own models, besides the shipped ones,
    the case's folder and $NEGOTIATE_MODEL_PATH.
    """
    data, source = read_document(path)
    if "model" in data:
        data, source = apply_model(data, source, base_dir=FsPath(path).parent, model_path=model_path)
    return validate_data(data, source=source)
