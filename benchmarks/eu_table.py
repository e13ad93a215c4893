"""The README's EU effort-sharing table: references and concepts side by side.

    PYTHONPATH=. python benchmarks/eu_table.py            # print the table (Markdown)
    PYTHONPATH=. python benchmarks/eu_table.py --write    # replace it in README.md

The table sits in README.md between the markers below; tests/test_readme_eu_table.py
checks that its numbers are what the code computes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "cases" / "eu_effort_sharing_2030.yaml"
START, END = "<!-- eu-table:start -->", "<!-- eu-table:end -->"
COLUMNS = [  # (header, allocation name)
    ("2018 (no deal)", "status_quo"), ("official 2023", "official"), ("least cost", "least_cost"),
    ("equal cost/GDP", "equal_cost_share"), ("GDP/cap rule", "gdp_per_capita"),
    ("equal per capita", "equal_per_capita"), ("ability to pay", "ability_to_pay"),
    ("utilitarian", "utilitarian"), ("egalitarian", "egalitarian"), ("kalai_smorodinsky", "kalai_smorodinsky"),
    ("nash", "nash"),
]


def table() -> str:
    import negotiate
    from negotiate.analysis.climate import references

    case = negotiate.load_case(CASE)
    refs = references(case)
    allocs = [refs[name] for _, name in COLUMNS]
    nash_finance = refs["nash"].finance
    head = ["member state", "2005 Mt", "GDP/cap"] + [h for h, _ in COLUMNS] + ["nash transfer, bn"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for p, party in case.parties.items():
        cells = [f"{p} {party.name}", f"{party.data['base']:g}", f"{party.data['gdp_pc']:g}"]
        cells += [f"{a.cuts[p]:.1f}" for a in allocs] + [f"{nash_finance[p]:+.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    official = [refs["official"].cuts[p] for p in case.parties]
    total_base = sum(party.data["base"] for party in case.parties.values())
    footer = [
        ("**emission-weighted cut, %**", f"{total_base:.0f}", [f"{a.collective_cut:.1f}" for a in allocs]),
        ("**abatement cost, bn EUR a year**", "", [f"{a.total_cost:.2f}" for a in allocs]),
        ("**extra cost over least cost, bn EUR a year**", "", [f"{a.extra_cost:+.2f}" for a in allocs]),
        ("correlation with official", "", [
            f"{np.corrcoef([a.cuts[p] for p in case.parties], official)[0, 1]:.2f}"
            if np.std([a.cuts[p] for p in case.parties]) > 1e-9 else "-" for a in allocs]),
    ]
    for label, base, cells in footer:
        lines.append("| " + " | ".join([label, base, ""] + cells + [""]) + " |")
    return "\n".join(lines)


def write_readme(readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text()
    i, j = text.index(START), text.index(END)
    readme.write_text(text[:i + len(START)] + "\n" + table() + "\n" + text[j:])


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write_readme()
    else:
        print(table())
