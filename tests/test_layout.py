"""The layout shows the pipeline: no import cycles, diagnosis apart from solving,
one name per thing, docstrings on every public entry point."""

import ast
import importlib
import inspect

import pytest

from conftest import ROOT

PACKAGE = ROOT / "negotiate"
MODULES = {".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): f
           for f in PACKAGE.rglob("*.py")}
# Case.update validates its copy: the schema reaches validation late, by design of
# the change grammar (issue 8 part 4), which moves it out of the schema.
ALLOWED_LATE = {("negotiate.case.schema", "negotiate.case.validate"),
                ("negotiate.case.schema", "negotiate.case.changes"),  # Case.update goes through the grammar
                ("negotiate.case.changes", "negotiate.case.resolve")}  # which items a change touches
# A command module (negotiate/cli_*.py) registers its commands on the app in
# cli.py and reaches the app's shared helpers late, when a command runs.
ALLOWED_LATE |= {(m, "negotiate.cli") for m in MODULES if m.startswith("negotiate.cli_")}


def _type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(module: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    nodes, out = [], set()
    stack = list(tree.body)
    while stack:
        n = stack.pop()
        if _type_checking(n):
            continue
        nodes.append(n)
        if not top_level_only:
            stack.extend(ast.iter_child_nodes(n))
    for n in nodes:
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("negotiate"):
            for a in n.names:
                full = f"{n.module}.{a.name}"
                out.add(full if full in MODULES else n.module)
        elif isinstance(n, ast.Import):
            out |= {a.name for a in n.names if a.name.startswith("negotiate")}
    return {m for m in out if m in MODULES and m != module and m != "negotiate"}


def cycles(top_level_only: bool) -> list[list[str]]:
    graph = {m: imports(m, top_level_only) - {b for a, b in ALLOWED_LATE if a == m} for m in MODULES}
    found, state = [], {}

    def visit(m, path):
        state[m] = "open"
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                found.append(path[path.index(d):] + [d])
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    return found


@pytest.mark.parametrize("top_level_only", [True, False], ids=["module-level", "with-late-imports"])
def test_no_import_cycles(top_level_only):
    assert cycles(top_level_only) == []


def test_diagnosis_never_reaches_solving():
    seen, todo = set(), ["negotiate.diagnose"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(imports(m, top_level_only=False))
    assert "negotiate.solving" not in seen and "negotiate.whatif" not in seen


def test_one_name_per_thing():
    import negotiate
    from negotiate.errors import Finding

    assert negotiate.Finding is Finding
    assert "Problem" not in negotiate.__all__


ENTRY_MODULES = ["negotiate", "negotiate.diagnose", "negotiate.registry", "negotiate.results", "negotiate.compare",
                 "negotiate.compare.batch", "negotiate.compare.table", "negotiate.analysis.options",
                 "negotiate.analysis.metrics", "negotiate.analysis.pareto", "negotiate.analysis.groups",
                 "negotiate.analysis.budget", "negotiate.case.load", "negotiate.case.read",
                 "negotiate.case.validate", "negotiate.case.models", "negotiate.errors", "negotiate.proposal"]


@pytest.mark.parametrize("name", ENTRY_MODULES)
def test_public_entry_points_have_docstrings(name):
    module = importlib.import_module(name)
    assert module.__doc__, name
    public = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    missing = []
    for n in public:
        obj = getattr(module, n)
        defined_here = hasattr(module, "__all__") or getattr(obj, "__module__", None) == name
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and defined_here and not inspect.getdoc(obj):
            missing.append(n)
    assert missing == [], f"{name}: {missing}"
