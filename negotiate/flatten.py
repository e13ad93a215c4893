"""An agreement as flat columns, one per issue value, for tables of many results.

`beef_quota` for a shared issue, `reduction.DE` for a party's own value of a
per-party issue: the columns that sweeps and comparisons carry (DataFrame,
CSV, JSON) so that a reader sees how the deal itself moves, not only the
utilities. A name that would clash with a result column (`status`,
`utility.DE`) is prefixed with `issue.`.
"""

from __future__ import annotations

RESULT_COLUMNS = ("scenario", "kind", "name", "status", "collective_benefit", "error", "seconds", "notes",
                  "agreement")
RESULT_PREFIXES = ("utility", "gain", "ideal", "satisfaction")


def column_name(issue: str, party: str | None = None) -> str:
    """The column of one agreed value: `issue` or `issue.PARTY`."""
    name = issue if party is None else f"{issue}.{party}"
    if issue in RESULT_COLUMNS or (party is not None and issue in RESULT_PREFIXES):
        return "issue." + name
    return name


def agreement_columns(agreement: dict | None) -> dict:
    """{column: value} for every agreed value (empty without an agreement)."""
    out: dict = {}
    for issue, value in (agreement or {}).items():
        if isinstance(value, dict):
            out.update({column_name(issue, p): v for p, v in value.items()})
        else:
            out[column_name(issue)] = value
    return out


def case_agreement_columns(case) -> list[str]:
    """The agreement's column names for a case, in the case's order of issues and parties."""
    out = []
    for iid, issue in case.issues.items():
        if issue.per_party:
            out += [column_name(iid, p) for p in case.parties]
        else:
            out.append(column_name(iid))
    return out


def column_issue(case, column: str) -> tuple[str, str | None] | None:
    """(issue, party or None) of an agreement column; None for any other column."""
    name = column[len("issue."):] if column.startswith("issue.") else column
    issue, _, party = name.partition(".")
    if issue not in case.issues:
        return None
    if case.issues[issue].per_party:
        return (issue, party) if party in case.parties else None
    return (issue, None) if not party else None
