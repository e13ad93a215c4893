"""Solver backends: the same Problem solved by HiGHS directly or through Pyomo."""

from __future__ import annotations

from negotiate.backends.base import Backend, LPResult


def make_backend(problem, backend: str = "highs", solver: str | None = None, **options) -> Backend:
    if backend == "highs":
        from negotiate.backends.highs import HighsBackend

        return HighsBackend(problem, **options)
    if backend == "pyomo":
        from negotiate.backends.pyomo import PyomoBackend

        return PyomoBackend(problem, solver=solver, **options)
    raise ValueError(f"unknown backend {backend!r}; use 'highs' or 'pyomo'")


__all__ = ["Backend", "LPResult", "make_backend"]
