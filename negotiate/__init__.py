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
from negotiate.analysis.coalitions import CoalitionAnalysis, coalitions

__version__ = "0.1.0"


def to_pyomo(case, concept: str | None = None):
    """The case as a Pyomo ConcreteModel (utilitarian objective unless a concept's
    single-solve objective is asked for), to export, inspect or extend."""
    from negotiate.backends.pyomo import to_pyomo as _to_pyomo

    return _to_pyomo(case)


__all__ = [
    "CONCEPTS", "Case", "CaseError", "Comparison", "Negotiation", "NegotiateError", "Problem", "Proposal", "SolveError",
    "compare", "load_case", "coalitions", "CoalitionAnalysis", "solve", "to_pyomo", "__version__",
]
