import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "cases").glob("*.yaml"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def case_from_dict(data: dict):
    from negotiate.case.load import validate_data

    return validate_data(data)


@pytest.fixture
def proved_ideals(monkeypatch):
    """How many ideals each Kalai-Smorodinsky solve of the test proved on the parties' own LPs
    (negotiate.formulation.ideals), one count per solve: a spy on ConceptRunner._proved_ideals."""
    from negotiate.formulation import concepts

    real, proved = concepts.ConceptRunner._proved_ideals, []

    def spy(self):
        out = real(self)
        proved.append(len(out))
        return out

    monkeypatch.setattr(concepts.ConceptRunner, "_proved_ideals", spy)
    return proved
