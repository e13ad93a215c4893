"""Negotiation: a case kept built and warm, for what-if questions in milliseconds.

    n = Negotiation(case)
    n.set("parties.IND.reservation", 0.4)
    n.solve("nash")
    with n.scenario({"parameters.target": 45}):
        n.solve()
    n.sweep("parameters.target", [30, 35, 40])

A change is parsed by `negotiate.case.changes` and validated as the case file
is (a bad value raises a located CaseError and the session stays as it was).
Only the parts of the case that the change touches are validated and resolved
again; the case is compiled into a new, self-consistent `Problem` (criteria
whose curves did not move keep their blocks), and the backend brings its live
model there by a `ModelDelta` keyed by case ids (`negotiate.delta`), or
rebuilds for a stated `RebuildReason`. `rebuilds` and `in_place` count which
happened. A change that keeps the model's shape (a parameter, a reservation,
a red line's bound, a curve's values) costs what it touches, not the case: its
Problem is the previous one with the rewritten rows (`compile.recompile`,
counted by `recompiled`) and its delta is read off them; `last_stages` gives
the seconds of each stage. Every answer equals a cold
`negotiate.solve(n.case)`: status, agreement (to the solver's tolerance),
shadow prices and diagnosis.
"""

from __future__ import annotations

import collections
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from negotiate.backends import make_backend
from negotiate.case.changes import (
    CHANGE,
    apply_changes,
    changed_names,
    parse_changes,
    units,
)
from negotiate.case.expr import did_you_mean
from negotiate.case.load import changed_error, validate_structure
from negotiate.case.resolve import _resolve, dependents, re_resolve
from negotiate.case.schema import Case
from negotiate.case.status_quo import join_party, split_party
from negotiate.case.validate import validate_changed
from negotiate.compile import Problem, compile_case, recompile
from negotiate.delta import ModelDelta, RebuildReason, model_delta, touched_delta
from negotiate.errors import CaseError, SolveError
from negotiate.errors import Problem as CaseProblem
from negotiate.proposal import Proposal
from negotiate.solving import as_case, concept_name, solve_problem, time_limit_of

COMPACT_AFTER = 0.5  # rebuild once retired rows and columns are this share of the live model


class Negotiation:
    """A what-if session over one case (see the module docstring)."""

    def __init__(self, case: Case | str, *, backend: str | None = None, solver: str | None = None,
                 time_limit: float | None = None):
        case = as_case(case)
        self._base = case
        self._backend_name = backend or case.solve.backend
        self._solver = solver or case.solve.solver
        self._time_limit = time_limit
        self._dropped: dict[str, dict] = {}
        self._dropped_status_quo: dict[str, dict] = {}  # a dropped party's status-quo values
        self.rebuilds = 0
        self.in_place = 0
        self.recompiled = 0  # changes compiled from the previous Problem (compile.recompile)
        self.rebuild_reasons: collections.Counter = collections.Counter()
        self.last_delta: ModelDelta | None = None
        self.last_stages: dict[str, float] = {}  # seconds per stage of the last `update`
        self._data = case.model_dump(exclude_unset=True)
        self._case = case
        self._problem = compile_case(case)
        self._build(RebuildReason.FIRST_BUILD)
        if self._backend.capabilities.deltas:  # what a change reads, made now rather than by the first change
            self._problem.col_index, self._problem.row_index  # noqa: B018
            if case._resolved is not None:
                dependents(case._resolved, "")

    # -- state ---------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The validated case that the session's current state corresponds to."""
        return self._case

    @property
    def problem(self) -> Problem:
        """The compiled model of `case` (every array and map agrees with it)."""
        return self._problem

    @property
    def backend(self):
        """The live backend (addressed by the Problem's row and column indices)."""
        return self._backend

    @property
    def patches(self) -> int:
        """Former name of `in_place`."""
        return self.in_place

    def stats(self) -> dict:
        """How the session kept its model: rebuilds (and why) and in-place updates."""
        return {"rebuilds": self.rebuilds, "in_place": self.in_place,
                "rebuild_reasons": {str(k): v for k, v in self.rebuild_reasons.items()},
                "last_delta": self.last_delta.summary() if self.last_delta is not None else None}

    def __repr__(self) -> str:
        from negotiate.report.notebook import session_repr

        return session_repr(self)

    def _repr_html_(self) -> str:
        from html import escape

        return f"<code>{escape(repr(self))}</code>" + self._case._repr_html_()

    # -- changes -------------------------------------------------------------
    def set(self, path: str, value: Any, create: bool = False) -> Negotiation:
        """Change one dotted path (see negotiate.case.changes); `create=True` to add a parameter."""
        return self.update({path: value}, create=create)

    def update(self, changes: dict[str, Any], create: bool = False) -> Negotiation:
        """Apply several changes at once (validated together, all or nothing)."""
        clock = _Stages()
        parsed = parse_changes(self._case, changes, create)
        data = apply_changes(self._data, parsed)
        paths = list(changes)
        new = validate_changed(data, self._case, [ch.keys for ch in parsed], paths)
        clock.lap("validate")
        todo = units(parsed, self._case, new)
        if todo is None:
            resolved, problems = _resolve(new)
        else:
            resolved, problems = re_resolve(new, self._case._resolved, todo, changed_names(parsed))
        if problems:
            raise changed_error(problems, paths)
        new._resolved = resolved
        clock.lap("resolve")
        try:
            self._move(data, new, clock)
        except CaseError as e:  # numbers no solver can take (compile's check): located at the change
            raise changed_error(e.problems, paths) from None
        self.last_stages = clock.seconds
        return self

    def drop_party(self, party: str) -> Negotiation:
        """Negotiate without `party` (restore it with `restore_party`)."""
        if party not in self._data.get("parties", {}):
            raise CaseError([CaseProblem(f"no party `{party}` to drop", f"parties.{party}", CHANGE, None,
                                         did_you_mean(party, self._data.get("parties", {})))])
        removed = self._data["parties"][party]
        data = dict(self._data)
        data["parties"] = {p: v for p, v in self._data["parties"].items() if p != party}
        if "status_quo" in data:  # its status quo goes with it (and comes back on restore)
            data["status_quo"], held = split_party(data["status_quo"], party)
            self._dropped_status_quo[party] = held
        self._move_to_data(data, f"parties.{party}")
        self._dropped[party] = removed
        return self

    def restore_party(self, party: str) -> Negotiation:
        """Bring back a party dropped with `drop_party`."""
        if party not in self._dropped:
            raise CaseError([CaseProblem(f"`{party}` was not dropped", f"parties.{party}", CHANGE, None,
                                         did_you_mean(party, self._dropped))])
        data = dict(self._data)
        parties = dict(self._data["parties"], **{party: self._dropped[party]})
        order = [p for p in self._base.parties if p in parties] + [p for p in parties if p not in self._base.parties]
        data["parties"] = {p: parties[p] for p in order}
        if party in self._dropped_status_quo:
            data["status_quo"] = join_party(data.get("status_quo"), party, self._dropped_status_quo[party])
        self._move_to_data(data, f"parties.{party}")
        del self._dropped[party]
        self._dropped_status_quo.pop(party, None)
        return self

    def reset(self) -> Negotiation:
        """Back to the case the session started from."""
        self._dropped.clear()
        self._dropped_status_quo.clear()
        self._move(self._base.model_dump(exclude_unset=True), self._base)
        return self

    @contextlib.contextmanager
    def scenario(self, changes: dict[str, Any] | str | None = None, **named: Any):
        """Apply changes inside a `with` block and restore the state on exit.

        `changes` is a mapping of paths, or the name of one of the case's
        scenarios; paths may also be keywords with `__` for dots:
        `n.scenario(parameters__target=45)`.
        """
        if isinstance(changes, str):
            changes = self._named_scenario(changes)
        changes = dict(changes or {})
        changes.update({k.replace("__", "."): v for k, v in named.items()})
        saved = self._snapshot()
        self.update(changes)
        try:
            yield self
        finally:
            self._restore(*saved)

    def _named_scenario(self, name: str) -> dict:
        if name not in self._case.scenarios:
            raise CaseError([CaseProblem(f"unknown scenario `{name}`", f"scenarios.{name}", CHANGE, None,
                                         did_you_mean(name, self._case.scenarios)
                                         or f"scenarios: {', '.join(self._case.scenarios) or 'none in this case'}")])
        return dict(self._case.scenarios[name])

    def _snapshot(self) -> tuple:
        """What `_restore` needs to bring the session back to this state."""
        return self._data, self._case, dict(self._dropped), dict(self._dropped_status_quo)

    def _restore(self, data, case, dropped, dropped_status_quo) -> None:
        self._dropped, self._dropped_status_quo = dropped, dropped_status_quo
        self._move(data, case)

    # -- solving ----------------------------------------------------------------
    def solve(self, concept: str | None = None, *, ideals: bool | None = None) -> Proposal:
        """The proposal of `concept` for the current state (re-using the warm model)."""
        name = concept_name(concept or self._case.solve.concept)
        if self._backend_name == "highs" and self._solver is None:  # small discrete: every outcome at once
            from negotiate.discrete import enumerable, solve_enumerated

            axes = enumerable(self._problem.resolved, self._problem, self._backend)
            if axes is not None:
                from negotiate.solving import _proposal

                return solve_enumerated(self._problem, name,
                                        self._case.solve.ideals if ideals is None else ideals, axes, build=_proposal)
        return solve_problem(self._problem, self._backend, name,
                             self._case.solve.ideals if ideals is None else ideals)

    def ideals(self) -> dict[str, float]:
        """Each party's ideal: the most it can get in any acceptable agreement (one solve each)."""
        from negotiate.formulation.concepts import ConceptRunner, Outcome
        from negotiate.proposal import issue_values, utilities

        runner = ConceptRunner(self._backend, self._problem,
                               lambda x: utilities(self._problem, issue_values(self._problem, x))[0])
        found = runner.ideals()
        if isinstance(found, Outcome):
            raise SolveError(found.message) if found.status == "error" else CaseError([CaseProblem(
                "no agreement is acceptable to all: the ideals are undefined", "", CHANGE)])
        return found

    def sweep(self, path: str, values: Iterable[Any], concept: str | None = None, progress=None):
        """One row per value of `path`: status, collective benefit, each party's utility.

        The session is restored afterwards. A value the case rejects gives a row
        with its error; the sweep goes on.
        """
        import pandas as pd

        from negotiate.case.changes import parse_change

        values = list(values)
        if values:
            parse_change(self._case, path, values[0])  # an unknown path stops here, before any solve
        rows = []
        saved = self._snapshot()
        try:
            for value in values:
                row: dict[str, Any] = {path: value}
                try:
                    self.set(path, value)
                    prop = self.solve(concept)
                    row.update(_sweep_row(prop))
                except CaseError as e:
                    row.update(status="invalid", error=str(e.problems[0]))
                rows.append(row)
                if progress is not None:
                    progress(len(rows))
        finally:
            self._restore(*saved)
        return pd.DataFrame(rows)

    def rebuild(self) -> None:
        """A fresh solver model of the current state (no basis, no history): for batches
        whose rows must match bit for bit whatever ran before them on this session."""
        self._build(RebuildReason.REQUESTED)

    # -- internals ----------------------------------------------------------------
    def _build(self, reason: RebuildReason) -> None:
        self._backend = make_backend(self._problem, self._backend_name, self._solver,
                                     time_limit=time_limit_of(self._time_limit, self._case.solve.time_limit),
                                     mip_gap=self._case.solve.mip_gap)
        self.rebuilds += 1
        self.rebuild_reasons[reason] += 1

    def _move_to_data(self, data: dict, path: str) -> None:
        """Validate `data` in full (a change of the parties) and move there."""
        new = validate_structure(data, self._case._source, [path])
        resolved, problems = _resolve(new)
        if problems:
            raise changed_error(problems, [path])
        new._resolved = resolved
        self._move(data, new)

    def _move(self, data: dict, new: Case, clock: _Stages | None = None) -> None:
        """Bring the session to `new` (validated and resolved): compile, then a delta or a rebuild.

        A change that reshapes nothing is compiled from the previous Problem and its delta read
        off the rows and columns it rewrote (`compile.recompile`, `delta.touched_delta`)."""
        clock = clock or _Stages()
        old_case = self._case
        current = self._backend.problem is self._problem  # (a delta is read against the live model)
        quick = recompile(self._problem, new._resolved) if current and new._resolved is not None else None
        self._problem = quick.problem if quick is not None else compile_case(new)
        self.recompiled += quick is not None
        self._data, self._case = data, new
        clock.lap("compile")
        reason = self._rebuild_reason(old_case, new)
        if reason is not None:
            self.last_delta = None
            self._build(reason)
            clock.lap("apply")
            return
        if quick is not None:
            self.last_delta = touched_delta(self._backend.problem, self._problem, quick.rows, quick.cols)
        else:
            self.last_delta = model_delta(self._backend.problem, self._problem)
        clock.lap("delta")
        self._backend.apply(self.last_delta)
        clock.lap("apply")
        self.in_place += 1
        live = self._problem.n_rows + self._problem.n_cols
        if self._backend.retired > COMPACT_AFTER * max(100, live):
            self._build(RebuildReason.COMPACTION)

    def _rebuild_reason(self, old: Case, new: Case) -> RebuildReason | None:
        if not self._backend.capabilities.deltas:
            return RebuildReason.BACKEND_CANNOT_PATCH
        if (new.solve.mip_gap, new.solve.time_limit) != (old.solve.mip_gap, old.solve.time_limit):
            return RebuildReason.SETTINGS
        if _two_level(old) or _two_level(new):
            return RebuildReason.TWO_LEVEL
        return None


class _Stages:
    """Seconds spent per stage of one change (validate, resolve, compile, delta, apply)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._t
        self._t = now


def _two_level(case: Case) -> bool:
    """Ratification, decision-rule and stakeholder rows are rebuilt, never patched in place."""
    from negotiate.formulation.ratification import twolevel_of

    resolved = getattr(case, "_resolved", None)
    return resolved is not None and twolevel_of(resolved) is not None


def _sweep_row(prop: Proposal) -> dict:
    from negotiate.flatten import agreement_columns

    row: dict[str, Any] = {"status": prop.status, "collective_benefit": prop.collective_benefit}
    row.update(agreement_columns(prop.agreement))
    for p, o in prop.parties.items():
        row[f"utility.{p}"] = o.utility
    for p, o in prop.parties.items():
        row[f"gain.{p}"] = o.gain
    return row
