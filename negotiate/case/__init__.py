"""Case files: schema, loading with positions, expressions, meaning."""

from negotiate.case.load import load_case, validate_data
from negotiate.case.schema import Case

__all__ = ["Case", "load_case", "validate_data"]
