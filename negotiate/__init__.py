"""negotiate: proposals for multi-party negotiations, exact and explained.

    import negotiate
    case = negotiate.load_case("cases/bilateral_fta.yaml")
    proposal = negotiate.solve(case, concept="nash")

The public names are imported on first use (PEP 562), so that `import
negotiate` and the command line start fast: pydantic, numpy and HiGHS load
only when a case is read or solved.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "CONCEPTS": "negotiate.case.schema", "Case": "negotiate.case.schema",
    "load_case": "negotiate.case.load",
    "CaseError": "negotiate.errors", "NegotiateError": "negotiate.errors", "Finding": "negotiate.errors",
    "Problem": "negotiate.errors",
    "SolveError": "negotiate.errors",
    "Proposal": "negotiate.proposal",
    "solve": "negotiate.solving",
    "Negotiation": "negotiate.whatif",
    "Comparison": "negotiate.compare", "compare": "negotiate.compare",
    "CoalitionAnalysis": "negotiate.analysis.coalitions", "coalitions": "negotiate.analysis.coalitions",
}

if TYPE_CHECKING:  # for editors and type checkers: the eager imports
    from negotiate.case.load import load_case
    from negotiate.case.schema import CONCEPTS, Case
    from negotiate.analysis.coalitions import CoalitionAnalysis, coalitions
    from negotiate.compare import Comparison, compare
    from negotiate.errors import CaseError, Finding, NegotiateError, Problem, SolveError
    from negotiate.proposal import Proposal
    from negotiate.solving import solve
    from negotiate.whatif import Negotiation


class _Package(types.ModuleType):
    """`negotiate.compare` stays the function when the submodule of that name is imported.

    (Importing a submodule sets it as an attribute of its package; the eager
    `from negotiate.compare import compare` used to rebind the name, as this does.)
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == value.__name__:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'negotiate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


def to_pyomo(case, concept: str | None = None):
    """The case as a Pyomo ConcreteModel (utilitarian objective unless a concept's
    single-solve objective is asked for), to export, inspect or extend."""
    from negotiate.backends.pyomo import to_pyomo as _to_pyomo

    return _to_pyomo(case)


__all__ = [
    "CONCEPTS", "Case", "CaseError", "CoalitionAnalysis", "Comparison", "Finding", "Negotiation", "NegotiateError",
    "Proposal", "SolveError", "coalitions", "compare", "load_case", "solve", "to_pyomo", "__version__",
]


def ties(case, concept: str | None = None, cap: int = 2_000_000, limit: int = 1000):
    """Every agreement equally optimal for `concept` (a TieSet), for a case whose issues are
    discrete or integer ranges: by enumeration up to `cap` outcomes, beyond by no-good cuts
    on the MIP up to `limit` ties (`TieSet.complete` says whether all were found)."""
    from negotiate.solving import as_case
    from negotiate.tie_search import tie_set

    case = as_case(case)
    return tie_set(case, concept or case.solve.concept, cap=cap, limit=limit)


def import_domain(path, parties=None, **kwargs):
    """A Genius / GeniusWeb domain folder as a case: see negotiate.interop.import_domain."""
    from negotiate.interop import import_domain as _import

    return _import(path, parties, **kwargs)


def to_negmas(case):
    """A discrete, linear-additive case as a NegMAS Scenario: see negotiate.interop.negmas_bridge."""
    from negotiate.interop.negmas_bridge import to_negmas as _to
    from negotiate.solving import as_case

    return _to(as_case(case))


def from_negmas(scenario, name: str | None = None):
    """A NegMAS Scenario (discrete issues, linear-additive ufuns) as a Case."""
    from negotiate.interop.negmas_bridge import from_negmas as _from

    return _from(scenario, name)


__all__ += ["from_negmas", "import_domain", "ties", "to_negmas"]
