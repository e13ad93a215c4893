"""Analyses that take a case or a session and return typed results: cooperative
games (Shapley, core, nucleolus), and more as they land."""
