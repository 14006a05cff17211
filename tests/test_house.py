"""The shape of the package (STYLE.md, "The house"): the import graph of its own modules has
no circle, inference never imports the training wing, only ``cli/`` imports click and
vpype_cli, and no module is long. Every import counts: at the top of a module, inside a
function, or under ``TYPE_CHECKING``."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "vpype_handwriting"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
TRAINING = f"{PACKAGE}.training"
CLI = f"{PACKAGE}.cli"
CLI_ONLY = ("click", "vpype_cli")
MAX_LINES = 450


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imported(name: str) -> set[str]:
    """Every module name ``name`` imports (the package's own resolved to its modules: a
    ``from . import x`` of a submodule names the submodule, not the package)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    here = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:  # a submodule, else a name defined in ``base``
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return found


def own(names: set[str]) -> set[str]:
    """The package's modules among ``names`` (``a.b.c`` of a module ``a.b``: ``a.b``)."""
    out = set()
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name:
            out.add(name)
    return out


GRAPH = {name: own(imported(name)) - {name} for name in MODULES}


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_sees_the_modules_and_their_imports() -> None:
    """The test reads what it means to: relative imports resolve to the modules."""
    assert f"{PACKAGE}.lines" in GRAPH[f"{PACKAGE}.sampling"]
    assert f"{PACKAGE}.alphabet" in GRAPH[f"{TRAINING}.batches"]  # from .. import alphabet
    assert f"{CLI}.group" in GRAPH[f"{CLI}.train_cli"]
    assert f"{TRAINING}.train" in GRAPH[f"{CLI}.train_cli"]  # inside the command
    assert "torch" in imported(f"{PACKAGE}.torch_engine")


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles() == []


def test_inference_never_imports_the_training_wing() -> None:
    """Only the training wing itself and the commands that train may import it."""
    inference = [m for m in MODULES if not under(m, TRAINING) and not under(m, CLI)]
    wrong = {m: sorted(t for t in GRAPH[m] if under(t, TRAINING)) for m in inference}
    assert {m: t for m, t in wrong.items() if t} == {}


def test_nothing_below_the_command_line_imports_it() -> None:
    wrong = {
        m: sorted(t for t in GRAPH[m] if under(t, CLI)) for m in MODULES if not under(m, CLI)
    }
    assert {m: t for m, t in wrong.items() if t} == {}


def test_only_the_command_line_imports_click_and_vpype_cli() -> None:
    wrong = {
        m: sorted(n for n in imported(m) if n.split(".")[0] in CLI_ONLY)
        for m in MODULES
        if not under(m, CLI)
    }
    assert {m: n for m, n in wrong.items() if n} == {}


def test_no_module_is_longer_than_the_house_allows() -> None:
    lengths = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in lengths.items() if n > MAX_LINES} == {}
