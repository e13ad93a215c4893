"""Negotiation: a case kept built and warm, for what-if questions in milliseconds.

    n = Negotiation(case)
    n.set("parties.IND.reservation", 0.4)
    n.solve("nash")
    with n.scenario({"parameters.target": 45}):
        n.solve()
    n.sweep("parameters.target", [30, 35, 40])

A change is validated as the case file is (a bad value raises a located
CaseError and the session stays as it was). Only the parts of the case that
the change touches are resolved again, and only their rows and columns in the
live HiGHS model are replaced (the old ones are retired in place, so the basis
survives and HiGHS hot starts). A change of the party set or of the issues
rebuilds the model. Every answer equals a cold `negotiate.solve(n.case)`.
"""

from __future__ import annotations

import contextlib
import copy
import math
from typing import Any, Iterable

from negotiate.backends import make_backend
from negotiate.case.load import changed_error, validate_structure
from negotiate.case.resolve import Resolved, _resolve, item_texts, names_in, re_resolve, units_of
from negotiate.case.schema import Case
from negotiate.case.status_quo import join_party, split_party
from negotiate.compile import Problem, RowInfo, compile_case, score_block
from negotiate.compile import _coefs as compile_coefs
from negotiate.errors import CaseError, Location, Problem as CaseProblem, SolveError
from negotiate.proposal import Proposal
from negotiate.solving import as_case, concept_name, solve_problem

INF = math.inf
_COMPACT_AFTER = 0.5  # rebuild once retired rows are this share of the model


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
        self.patches = 0
        self._data = case.model_dump(exclude_unset=True)
        self._build(case)

    # -- state ---------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The validated case that the session's current state corresponds to."""
        return self._case

    @property
    def problem(self) -> Problem:
        return self._problem

    def __repr__(self) -> str:
        from negotiate.report.notebook import session_repr

        return session_repr(self)

    def _repr_html_(self) -> str:
        from html import escape

        return f"<code>{escape(repr(self))}</code>" + self._case._repr_html_()

    # -- changes -------------------------------------------------------------
    def set(self, path: str, value: Any) -> "Negotiation":
        """Change one dotted path: a parameter, reservation, weight, range, limit, constraint..."""
        return self.update({path: value})

    def update(self, changes: dict[str, Any]) -> "Negotiation":
        """Apply several changes at once (validated together)."""
        data = _with_changes(self._data, changes)
        self._move(data, list(changes))
        return self

    def drop_party(self, party: str) -> "Negotiation":
        """Negotiate without `party` (restore it with `restore_party`)."""
        if party not in self._data.get("parties", {}):
            raise CaseError([CaseProblem(f"no party `{party}` to drop", f"parties.{party}", Location("<change>"))])
        removed = copy.deepcopy(self._data["parties"][party])
        data = copy.copy(self._data)
        data["parties"] = {p: v for p, v in self._data["parties"].items() if p != party}
        if "status_quo" in data:  # its status quo goes with it (and comes back on restore)
            data["status_quo"], held = split_party(data["status_quo"], party)
            self._dropped_status_quo[party] = held
        self._move(data, [f"parties.{party}"], structural=True)
        self._dropped[party] = removed
        return self

    def restore_party(self, party: str) -> "Negotiation":
        if party not in self._dropped:
            raise CaseError([CaseProblem(f"`{party}` was not dropped", f"parties.{party}", Location("<change>"))])
        data = copy.copy(self._data)
        parties = dict(self._data["parties"], **{party: self._dropped[party]})
        order = [p for p in self._base.parties if p in parties] + [p for p in parties if p not in self._base.parties]
        data["parties"] = {p: parties[p] for p in order}
        if party in self._dropped_status_quo:
            data["status_quo"] = join_party(data.get("status_quo"), party, self._dropped_status_quo[party])
        self._move(data, [f"parties.{party}"], structural=True)
        del self._dropped[party]
        self._dropped_status_quo.pop(party, None)
        return self

    def reset(self) -> "Negotiation":
        """Back to the case the session started from."""
        self._dropped.clear()
        self._dropped_status_quo.clear()
        self._move(self._base.model_dump(exclude_unset=True), [], structural=True)
        return self

    @contextlib.contextmanager
    def scenario(self, changes: dict[str, Any] | None = None, **named: Any):
        """Apply changes inside a `with` block and restore the state on exit.

        Paths go in `changes`, or as keywords with `__` for dots:
        `n.scenario(parameters__target=45)`.
        """
        changes = dict(changes or {})
        changes.update({k.replace("__", "."): v for k, v in named.items()})
        saved = self._snapshot()
        self.update(changes)
        try:
            yield self
        finally:
            self._restore(*saved)

    def _snapshot(self) -> tuple:
        """What `_restore` needs to bring the session back to this state."""
        return self._data, self._case, self._problem, self._backend, dict(self._dropped)

    def _restore(self, data, case, problem, backend, dropped) -> None:
        self._dropped = dropped
        if backend is self._backend:
            self._move(data, [], structural=False, known=case)
        else:  # the scenario rebuilt: go back to the model as it was
            self._data, self._case, self._problem, self._backend = data, case, problem, backend

    # -- solving ----------------------------------------------------------------
    def solve(self, concept: str | None = None, *, ideals: bool | None = None) -> Proposal:
        """The proposal of `concept` for the current state (re-using the warm model)."""
        name = concept_name(concept or self._case.solve.concept)
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
                "no agreement is acceptable to all: the ideals are undefined", "", Location("<session>"))])
        return found

    def sweep(self, path: str, values: Iterable[Any], concept: str | None = None, progress=None):
        """One row per value of `path`: status, collective benefit, the agreed values
        (`issue`, or `issue.PARTY` for a per-party issue), each party's utility and gain.

        The session is restored afterwards. A value the case rejects gives a row
        with its error; the sweep goes on.
        """
        import pandas as pd

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

    def pristine(self) -> None:
        """Make the next solve independent of this session's history, but warm.

        The solver model is made again from the compiled arrays (milliseconds: no
        resolve, no compile), so helper rows and Nash's cuts are gone, and it starts
        from the optimal basis of the case as built (found once, on a fresh model):
        the same start whatever ran before, close to optimal for small changes. A
        session patched structurally since it was built compiles once more instead.
        """
        if self.patches_since_build:
            self._build(self._case)
        self._backend = self._fresh_backend()
        if self._base_basis is None:
            self._backend.set_objective({j: self._case.parties[p].weight for p, j in self._problem.utility_col.items()})
            self._backend.solve()
            self._base_basis = self._backend.get_basis()
            self._backend = self._fresh_backend()
        self._backend.set_basis(self._base_basis)

    def _fresh_backend(self):
        return make_backend(self._problem, self._backend_name, self._solver,
                            time_limit=self._time_limit or self._case.solve.time_limit,
                            mip_gap=self._case.solve.mip_gap)

    @property
    def patches_since_build(self) -> bool:
        """Rows or columns were added to or retired from the built model."""
        return self._structural > 0

    # -- internals ----------------------------------------------------------------
    def _build(self, case: Case) -> None:
        self._case = case
        self._problem = compile_case(case)
        self._backend = self._fresh_backend()
        self._base_basis = None  # of this model, found on first need (pristine)
        self._retired = 0
        self._structural = 0  # rows or columns added or retired since the build
        self.rebuilds += 1

    def _move(self, data: dict, changed: list[str], structural: bool = False, known: Case | None = None) -> None:
        """Validate `data` (all or nothing) and bring the model to it."""
        if known is not None:
            new = known
            units = None if structural else self._units(changed, new, restore=True)
        else:
            new = validate_structure(data, self._case._source, changed)
            units = None if structural else self._units(changed, new)
            if units is None:
                resolved, problems = _resolve(new)
            else:
                resolved, problems = re_resolve(new, self._case._resolved, units, _changed_names(changed))
            if problems:
                raise changed_error(problems, changed)
            new._resolved = resolved
        self._data = data
        if units is None or self._backend_name != "highs" or self._needs_rebuild(new):
            self._build(new)
            return
        self._patch(new)
        if self._retired > _COMPACT_AFTER * max(100, self._backend.n_rows):
            self._build(new)

    def _units(self, changed: list[str], new: Case, restore: bool = False) -> set | None:
        """The case items a change touches; None: everything."""
        old = self._case
        if list(new.parties) != list(old.parties) or _issues_shape(new) != _issues_shape(old):
            return None
        if restore:  # going back to a known state: compare item by item
            return {u for u in units_of(new) if _unit_value(old, u) != _unit_value(new, u)} | \
                   {u for u in units_of(old) if _unit_value(old, u) != _unit_value(new, u)}
        units: set = set()
        for path in changed:
            parts = path.split(".")
            head = parts[0]
            if head == "parameters" and len(parts) == 2:
                units |= {u for u in units_of(new) if parts[1] in _deps(new, u)}
            elif head == "parties" and len(parts) >= 3:
                p, sub = parts[1], parts[2]
                if sub in ("reservation", "weight", "name", "description"):
                    continue
                if sub == "criteria":
                    units.add(("criteria", p))
                elif sub == "limits":
                    lims = [parts[3]] if len(parts) >= 4 else set(old.parties[p].limits) | set(new.parties[p].limits)
                    units |= {("row", "parties", p, "limits", l) for l in lims}
                elif sub == "data" and len(parts) >= 4:
                    units |= {u for u in units_of(new) if "data." + parts[3] in _deps(new, u)}
                else:
                    return None
            elif head == "constraints" and len(parts) >= 2:
                units.add(("row", "constraints", parts[1]))
            elif head == "issues" and len(parts) >= 3 and parts[2] in ("range", "unit", "description"):
                continue  # new bounds; the curves of the criteria on it are redrawn by the patch
            elif head in ("solve", "name", "description", "options", "scenarios"):
                continue
            else:
                return None
        return units

    def _needs_rebuild(self, new: Case) -> bool:
        old = self._case
        return (new.solve.require_acceptance != old.solve.require_acceptance
                or new.solve.mip_gap != old.solve.mip_gap or new.solve.time_limit != old.solve.time_limit
                or _two_level(new) or _two_level(old))

    def _patch(self, new: Case) -> None:
        """Bring the live model from self._case to `new` in place."""
        old_r: Resolved = self._case._resolved
        new_r: Resolved = new._resolved
        b, prob = self._backend, self._problem
        moved = set()
        for v_old, v_new in zip(old_r.variables, new_r.variables):
            if (v_old.lb, v_old.ub) != (v_new.lb, v_new.ub):
                b.set_col_bounds(prob.var_col[v_new.key], v_new.lb, v_new.ub)
                moved.add(v_new.key)
        bounds = {v.key: (v.lb, v.ub) for v in new_r.variables}
        score_col, nonconcave = dict(prob.score_col), set(prob.nonconcave)
        curve_cols, curve_rows = dict(prob.curve_cols), dict(prob.curve_rows)
        row_info, col_int = list(prob.row_info), list(prob.col_int)
        for p in new_r.parties:
            old_list, new_list = old_r.criteria[p], new_r.criteria[p]
            if old_list is new_list and not any(k in moved for c in new_list for k in c.lin.terms):
                continue
            old_by_id = {c.id: c for c in old_list}
            for c in new_list:
                o = old_by_id.pop(c.id, None)
                if o is not None and _same_curve(o, c) and not any(k in moved for k in c.lin.terms):
                    continue
                if o is not None:
                    self._retire_criterion(curve_cols.pop((p, o.id)), curve_rows.pop((p, o.id)), row_info, col_int)
                j, concave, blk = score_block(c, prob.var_col, bounds, b.n_cols)
                curve_cols[(p, c.id)], curve_rows[(p, c.id)] = self._append(blk, row_info, col_int)
                score_col[(p, c.id)] = j
                key = f"parties.{p}.criteria.{c.id}"
                (nonconcave.discard if concave else nonconcave.add)(key)
            for cid in old_by_id:  # criteria that are gone (weight 0 or removed)
                self._retire_criterion(curve_cols.pop((p, cid)), curve_rows.pop((p, cid)), row_info, col_int)
                score_col.pop((p, cid), None)
                nonconcave.discard(f"parties.{p}.criteria.{cid}")
            # the utility row: u_p - sum(weight_c * score_c) = 0 over the live criteria only
            live = {score_col[(p, c.id)]: c.weight for c in new_list}
            before = {j for (q, _), j in prob.score_col.items() if q == p}
            for j in before | set(live):
                b.set_coef(prob.utility_row[p], j, -live.get(j, 0.0))
        case_rows = dict(prob.case_rows)
        old_rows = {r.id: r for r in old_r.rows}
        new_rows = {r.id: r for r in new_r.rows}
        for rid in old_rows.keys() - new_rows.keys():
            self._retire_row(case_rows.pop(rid), row_info)
        for rid, r in new_rows.items():
            o = old_rows.get(rid)
            if o is r:
                continue
            coefs = compile_coefs(r.lin.terms, prob.var_col)
            old_coefs = compile_coefs(o.lin.terms, prob.var_col) if o is not None else None
            if old_coefs is not None and set(old_coefs) == set(coefs):
                i = case_rows[rid]
                for j, v in coefs.items():
                    if old_coefs.get(j) != v:
                        b.set_coef(i, j, v)
                if (o.lo, o.hi) != (r.lo, r.hi):
                    b.set_row_bounds(i, r.lo, r.hi)
                continue
            if o is not None:
                self._retire_row(case_rows.pop(rid), row_info)
            _pad(row_info, col_int, b)
            self._structural += 1
            (i,) = b.add_rows([(coefs, r.lo, r.hi, rid)])
            row_info.append(RowInfo(r.kind, rid, r.party))
            case_rows[rid] = i
        for p, i in prob.reservation_row.items():
            d_old, d_new = self._case.parties[p].reservation, new.parties[p].reservation
            if d_old != d_new:
                b.set_row_bounds(i, d_new, INF)
        import numpy as np

        self._problem = Problem(
            resolved=new_r, col_names=prob.col_names, col_lb=prob.col_lb, col_ub=prob.col_ub,
            col_int=np.array(col_int, bool), row_names=prob.row_names, row_lo=prob.row_lo, row_hi=prob.row_hi,
            indptr=prob.indptr, indices=prob.indices, values=prob.values, var_col=prob.var_col,
            utility_col=prob.utility_col, score_col=score_col, row_info=row_info,
            reservation_row=prob.reservation_row, utility_row=prob.utility_row, case_rows=case_rows,
            curve_cols=curve_cols, curve_rows=curve_rows, nonconcave=sorted(nonconcave),
        )
        self._case = new
        self.patches += 1

    def _append(self, blk, row_info, col_int) -> tuple[list[int], list[int]]:
        """Add a built criterion to the live model; its columns and rows."""
        b = self._backend
        _pad(row_info, col_int, b)  # concepts' helper rows and columns (Nash's cuts) sit in between
        self._structural += 1
        cols = b.add_cols(blk.lb, blk.ub, blk.names)
        for j, integer in zip(cols, blk.integer):
            if integer:
                b.set_col_integer(j, True)
            col_int.append(integer)
        rows = b.add_rows([(dict(zip(c.tolist(), v.tolist())), lo, hi, name) for c, v, lo, hi, name
                           in zip(blk.row_cols, blk.row_vals, blk.row_lo, blk.row_hi, blk.row_names)])
        row_info.extend(blk.row_info)
        return cols, rows

    def _retire_criterion(self, cols: list[int], rows: list[int], row_info, col_int) -> None:
        """Free a criterion's rows and fix its columns at 0, in place (the basis survives)."""
        b = self._backend
        for i in rows:
            self._retire_row(i, row_info)
        for j in cols:
            b.set_col_bounds(j, 0.0, 0.0)
            if col_int[j]:
                b.set_col_integer(j, False)
                col_int[j] = False

    def _retire_row(self, i: int, row_info) -> None:
        self._backend.set_row_bounds(i, -INF, INF)
        row_info[i] = RowInfo("retired", row_info[i].case_id, row_info[i].party)
        self._retired += 1
        self._structural += 1


def _two_level(case: Case) -> bool:
    """Ratification, decision-rule and stakeholder rows are rebuilt, never patched in place."""
    from negotiate.formulation.ratification import twolevel_of

    resolved = getattr(case, "_resolved", None)
    return resolved is not None and twolevel_of(resolved) is not None


def _pad(row_info: list, col_int: list, backend) -> None:
    """Account for rows and columns a concept left on the backend (helpers, not the case's)."""
    row_info.extend(RowInfo("helper", "", None) for _ in range(backend.n_rows - len(row_info)))
    col_int.extend(False for _ in range(backend.n_cols - len(col_int)))


def _same_curve(a, b) -> bool:
    import numpy as np

    if a.lin.terms != b.lin.terms or a.lin.const != b.lin.const:
        return False
    if (a.xs is None) != (b.xs is None):
        return False
    return a.xs is None or (np.array_equal(a.xs, b.xs) and np.array_equal(a.ys, b.ys))


def _deps(case: Case, unit: tuple) -> frozenset:
    out: set = set()
    for text in item_texts(case, unit):
        out |= names_in(text)
    return frozenset(out)


def _unit_value(case: Case, unit: tuple):
    try:
        if unit[0] == "criteria":
            return case.parties[unit[1]].model_dump()["criteria"], case.parameters, \
                {p: v.data for p, v in case.parties.items()}
        return item_texts(case, unit), case.parameters, {p: v.data for p, v in case.parties.items()}
    except KeyError:
        return None


def _issues_shape(case: Case) -> list:
    """What of the issues fixes the model's structure (not their ranges, units or descriptions)."""
    return [(i, issue.options, issue.per_party, issue.integer) for i, issue in case.issues.items()]


def _changed_names(paths: list[str]) -> set | None:
    """Parameter names and data fields a change is about (None: anything else, e.g. a criterion)."""
    names = set()
    for path in paths:
        parts = path.split(".")
        if parts[0] == "parameters" and len(parts) == 2:
            names.add(parts[1])
        elif parts[0] == "parties" and len(parts) >= 4 and parts[2] == "data":
            names.add("data." + parts[3])
        elif parts[0] == "parties" and len(parts) >= 3 and parts[2] in ("reservation", "weight", "name",
                                                                       "description", "limits"):
            continue
        elif parts[0] in ("constraints", "solve", "name", "description", "options", "scenarios"):
            continue
        elif parts[0] == "issues" and len(parts) >= 3 and parts[2] in ("range", "unit", "description"):
            continue
        else:
            return None
    return names


def _with_changes(data: dict, changes: dict[str, Any]) -> dict:
    """A copy of `data` with the changes (copy on write along each path)."""
    out = copy.copy(data)
    for path, value in changes.items():
        keys = path.split(".")
        node = out
        for key in keys[:-1]:
            child = node.get(key) if isinstance(node, dict) else None
            child = copy.copy(child) if isinstance(child, dict) else {}
            node[key] = child
            node = child
        node[keys[-1]] = copy.deepcopy(value)
    return out


def _sweep_row(prop: Proposal) -> dict:
    from negotiate.flatten import agreement_columns

    row: dict[str, Any] = {"status": prop.status, "collective_benefit": prop.collective_benefit}
    row.update(agreement_columns(prop.agreement))
    for p, o in prop.parties.items():
        row[f"utility.{p}"] = o.utility
    for p, o in prop.parties.items():
        row[f"gain.{p}"] = o.gain
    return row
