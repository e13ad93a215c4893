"""The comparison table: one row per (scenario, concept or option), and its views."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from negotiate.case.schema import Case
from negotiate.flatten import case_agreement_columns
from negotiate.results import StatusGroup, status_of


@dataclass
class Comparison:
    """One row per (scenario, concept or option); views as DataFrame, JSON, CSV, HTML."""

    case: Case
    rows: list[dict]
    interrupted: bool = False
    seconds: float = 0.0
    executor: str = ""
    parties: list = field(default_factory=list)
    retried: int = 0  # jobs run a second time because their worker died
    scenarios: dict = field(default_factory=dict)  # name -> its changes ({} for the base case)
    sweeps: dict = field(default_factory=dict)  # swept path -> its values (a grid when several)

    @property
    def failed(self) -> list[dict]:
        """Rows that could not be computed (status error or invalid): not "no agreement"."""
        return [r for r in self.rows if status_of(r["status"]).group is StatusGroup.ERROR]

    def failure_summary(self, limit: int = 5) -> str | None:
        """One paragraph on the failed rows, for the CLI; None when none failed."""
        failed = self.failed
        if not failed:
            return None
        lines = [f"{len(failed)} of {len(self.rows)} rows failed"
                 + (f" ({self.retried} jobs were retried on a fresh worker)" if self.retried else "") + ":"]
        for r in failed[:limit]:
            lines.append(f"  {r['scenario']} / {r['name']}: {r['status']}: {r.get('error') or ''}".rstrip(": "))
        if len(failed) > limit:
            lines.append(f"  ... and {len(failed) - limit} more")
        return "\n".join(lines)

    @property
    def table(self):
        import pandas as pd

        cols = ["scenario", "kind", "name", "status", "collective_benefit"]
        cols += case_agreement_columns(self.case)  # the agreed values: `issue` or `issue.PARTY`
        for what in ("utility", "gain", "satisfaction", "ideal"):
            cols += [f"{what}.{p}" for p in self.parties]
        cols += ["min_satisfaction", "satisfaction_range", "satisfaction_gini", "rejected_by", "dominated_by",
                 "pareto_dominated", "improvement_total_gain", "improved_package", "open_issues", "agreement",
                 "notes", "error", "seconds"]
        frame = pd.DataFrame(self.rows)
        for c in cols:
            if c not in frame:
                frame[c] = None
        return frame[cols]

    def to_dict(self) -> dict:
        return {"case": self.case.name, "interrupted": self.interrupted, "seconds": self.seconds,
                "executor": self.executor, "rows": [_jsonable(r) for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_csv(self, path=None) -> str | None:
        frame = self.table.copy()
        for c in ("agreement", "improved_package", "open_issues"):
            frame[c] = frame[c].map(lambda v: json.dumps(v) if v is not None else None)
        return frame.to_csv(path, index=False)

    def to_html(self) -> str:
        from negotiate.report.html import comparison_html

        return comparison_html(self)

    def __repr__(self) -> str:
        ok = sum(1 for r in self.rows if status_of(r["status"]).ok)
        return (f"Comparison({self.case.name!r}, rows={len(self.rows)}, answered={ok}"
                + (", interrupted" if self.interrupted else "") + ")")

    def _repr_html_(self) -> str:
        return self.table.drop(columns=["agreement", "improved_package"])._repr_html_()


def _jsonable(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k.startswith("_"):
            continue
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        elif isinstance(v, (np.floating, np.integer)):
            v = v.item()
        out[k] = v
    return out
