"""Analyses of a case beyond one proposal: voting power, win-sets."""
