"""Text rendering of two-level results: ratification at an agreement."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text


def ratification_lines(r: dict) -> Group:
    """Who accepts, who is outvoted, which constituencies consent (and at what side payment)."""
    parts = []
    head = Text("Ratification", style="bold")
    head.append(f"  ({r['rule']}: {'passes' if r['passes'] else 'does NOT pass'})")
    parts.append(head)
    parts.append(Text(f"  accept: {', '.join(r['accepting']) or 'nobody'}"
                      + (f"   ·   outvoted (bound, not accepting): {', '.join(r['outvoted'])}" if r["outvoted"] else "")
                      + (f"   ·   stakeholders (no vote): {', '.join(r['stakeholders'])}" if r["stakeholders"] else "")))
    for p, cons in r["constituencies"].items():
        bits = []
        for cid, c in cons.items():
            word = "consents" if c["consents"] else "refuses"
            paid = f" with a side payment of {c['side_payment']:.3g}" if c["side_payment"] else ""
            bits.append(f"{cid} {word} ({c['utility']:.3g} vs {c['reservation']:.3g}{paid})")
        parts.append(Text(f"  {p} {'ratifies' if r['ratifies'][p] else 'does not ratify'}: " + "; ".join(bits)))
    return Group(*parts)
