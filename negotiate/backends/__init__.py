"""Solver backends: the same Problem solved by HiGHS directly or through Pyomo.

The registry below is the one place that knows backend names; everything else
asks it (`make_backend`, `backend_names`, `capabilities_of`).
"""

from __future__ import annotations

import importlib

from negotiate.backends.base import Backend, Capabilities, LPResult, Tolerances

# name -> "module:Class", imported only when used (highspy and Pyomo are heavy)
REGISTRY: dict[str, str] = {
    "highs": "negotiate.backends.highs:HighsBackend",
    "pyomo": "negotiate.backends.pyomo:PyomoBackend",
}
DEFAULT_BACKEND = "highs"


def backend_names() -> list[str]:
    return list(REGISTRY)


def backend_class(name: str) -> type[Backend]:
    if name not in REGISTRY:
        raise ValueError(f"unknown backend {name!r}; use {' or '.join(repr(n) for n in REGISTRY)}")
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def capabilities_of(name: str) -> Capabilities:
    return backend_class(name).capabilities


def make_backend(problem, backend: str | None = None, solver: str | None = None, **options) -> Backend:
    """A built backend for `problem`; `solver` is for backends that drive several solvers."""
    cls = backend_class(backend or DEFAULT_BACKEND)
    if solver is not None and cls.takes_solver:
        options["solver"] = solver
    return cls(problem, **options)


__all__ = [
    "DEFAULT_BACKEND",
    "Backend",
    "Capabilities",
    "LPResult",
    "Tolerances",
    "backend_class",
    "backend_names",
    "capabilities_of",
    "make_backend",
]
