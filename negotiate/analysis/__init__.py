"""Analyses beside the solution concepts (reference allocations, ...)."""
