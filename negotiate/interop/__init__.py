"""Bring negotiation domains from elsewhere: Genius / GeniusWeb import, the NegMAS bridge.

    imported = negotiate.import_domain("domains/Laptop")   # a folder: Genius XML or GeniusWeb JSON
    imported.case            # a validated Case, one party per profile
    imported.write("laptop.yaml")   # the commented case file
"""

from __future__ import annotations

import datetime
from pathlib import Path

from negotiate.errors import CaseError, Location, Problem
from negotiate.interop.common import ImportedCase, build_case, pick_profiles


def detect(path: Path) -> str:
    """genius (XML files) or geniusweb (JSON files), from what the folder holds."""
    suffixes = {p.suffix.lower() for p in path.iterdir() if p.is_file()}
    if ".xml" in suffixes and ".json" not in suffixes:
        return "genius"
    if ".json" in suffixes and ".xml" not in suffixes:
        return "geniusweb"
    if ".xml" in suffixes:
        raise CaseError([Problem("the folder holds both XML and JSON files; give the format",
                                 location=Location(str(path)), hint="--format genius | geniusweb")])
    raise CaseError([Problem("no Genius (XML) or GeniusWeb (JSON) files in the folder", location=Location(str(path)))])


def import_domain(path: str | Path, parties: list[str] | None = None, *, fmt: str | None = None,
                  ignore_discount: bool = False) -> ImportedCase:
    """A Genius or GeniusWeb domain folder as a case (one party per profile, or those `parties` names).

    Raises CaseError, located (file:line:col), for malformed files and for anything
    the case cannot express exactly (non-linear utilities, discounting): nothing is
    approximated silently.
    """
    from negotiate.interop import genius, geniusweb

    path = Path(path)
    if not path.exists():
        raise CaseError([Problem("no such file or folder", location=Location(str(path)))])
    folder = path if path.is_dir() else path.parent
    fmt = fmt or detect(folder)
    if fmt == "genius":
        name, issues, profiles = genius.read_folder(folder, ignore_discount)
    elif fmt == "geniusweb":
        name, issues, profiles = geniusweb.read_folder(folder)
    else:
        raise ValueError(f"format is genius or geniusweb, not {fmt!r}")
    profiles = pick_profiles(profiles, parties, str(folder))
    header = _header(fmt, folder, len(profiles))
    return build_case(name, fmt, str(folder), issues, profiles, header)


def _header(fmt: str, folder: Path, n: int) -> list[str]:
    today = datetime.date.today().isoformat()
    source = "GeniusWeb" if fmt == "geniusweb" else "Genius"
    lines = [f"Imported by `negotiate import` from the {source} domain {folder} on {today}.",
             f"{n} profile{'s' if n != 1 else ''}, each a party with one criterion per issue."]
    if fmt == "genius":
        lines += ["Genius semantics: a discrete option's score is its evaluation divided by the issue's best",
                  "evaluation; integer and real issues score min(1, max(0, linear)); utility = weighted mean",
                  "of the scores with the issue weights (weights not summing to 1 also divide the reservation)."]
    else:
        lines += ["GeniusWeb semantics: option scores are the profile's value utilities; number issues are",
                  "linear between (lowValue, lowUtility) and (highValue, highUtility), 0 outside; utility = the",
                  "weighted mean with the issue weights; reservation = the utility of the reservationBid."]
    lines.append("Original labels are kept in each issue's description and in comments.")
    return lines


__all__ = ["ImportedCase", "import_domain"]
