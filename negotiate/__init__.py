"""negotiate: proposals for multi-party negotiations, exact and explained.

    import negotiate
    case = negotiate.load_case("cases/bilateral_fta.yaml")
    proposal = negotiate.solve(case, concept="nash")
"""

from negotiate.case.load import load_case
from negotiate.case.schema import CONCEPTS, Case
from negotiate.errors import CaseError, NegotiateError, Problem, SolveError
from negotiate.proposal import Proposal
from negotiate.solving import solve
from negotiate.whatif import Negotiation
from negotiate.compare import Comparison, compare

__version__ = "0.1.0"


def to_pyomo(case, concept: str | None = None):
    """The case as a Pyomo ConcreteModel (utilitarian objective unless a concept's
    single-solve objective is asked for), to export, inspect or extend."""
    from negotiate.backends.pyomo import to_pyomo as _to_pyomo

    return _to_pyomo(case)


__all__ = [
    "CONCEPTS", "Case", "CaseError", "Comparison", "Negotiation", "NegotiateError", "Problem", "Proposal", "SolveError",
    "compare", "load_case", "solve", "to_pyomo", "__version__",
]


def ties(case, concept: str | None = None, cap: int = 2_000_000, limit: int = 1000):
    """Every agreement equally optimal for `concept` (a TieSet), for a case whose issues are
    discrete or integer ranges: by enumeration up to `cap` outcomes, beyond by no-good cuts
    on the MIP up to `limit` ties (`TieSet.complete` says whether all were found)."""
    from negotiate.solving import as_case
    from negotiate.tie_sets import tie_set

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
