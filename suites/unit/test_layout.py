"""The layout shows the architecture: no import cycle, each folder imports only the folders below it, and
no module is too long to read in one sitting (docs/design.md, "Layout" and "Which folder may import which").

The import graph is read from the source with `ast` (every import, at module level, inside functions and
under TYPE_CHECKING alike), so a cycle hidden in a lazy import is a cycle too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "humangov_deploy"
APP = REPO / "containers" / "app" / "humangov"
MAX_LINES = 500

# The units of the library and what each may import (besides itself). A unit is a folder, or a top-level
# module outside `core`. Read from the bottom: core <- build <- aws <- data <- platforms <- the harness
# (users, http_session, verify) <- rollout, bench, iam_actions <- commands and cli.
CORE = {"__init__", "errors", "waits", "clients", "cache", "naming", "progress", "appsrc"}
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "build": {"core"},
    "aws": {"core", "build"},
    "data": {"core", "aws"},
    "platforms": {"core"},  # base.py and the registry: the interface knows no platform
    "platforms.aws": {"core", "build", "aws", "data", "platforms"},
    "platforms.local": {"core", "build", "data", "platforms"},
    "users": {"core", "aws", "platforms"},
    "http_session": {"core", "platforms"},
    "verify": {"core", "platforms", "users", "http_session", "verify_signin"},
    "verify_signin": {"core", "platforms", "users"},
    "iam_actions": {"core", "platforms.aws"},
    "rollout": {"core", "platforms", "verify"},
    "bench": {"core", "platforms", "platforms.local", "users", "http_session"},
    "testing": {"core", "platforms", "platforms.local", "users", "http_session", "verify"},
    "commands": {"*"},
    "cli": {"*"},
}


def module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def modules_of(root: Path, package: str) -> dict[str, Path]:
    return {module_name(p, root, package): p for p in sorted(root.rglob("*.py"))}


def _resolve_relative(current: str, is_package: bool, level: int, target: str | None) -> str:
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, target] if target else base)


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's own modules that `name` imports (`from pkg import mod` counts as mod)."""
    package = name.split(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(name, path.name == "__init__.py", node.level, node.module)
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    # An import of `a.b.c` names that module only (a parent package's __init__ runs first, as it must).
    return {f for f in found if f.split(".")[0] == package and f in known and f != name}


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    mods = modules_of(root, package)
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def unit_of(module: str) -> str:
    parts = module.split(".")[1:] or ["__init__"]
    if len(parts) == 1 and parts[0] in CORE:
        return "core"
    if parts[0] == "platforms" and len(parts) > 1 and parts[1] in ("aws", "local"):
        return f"platforms.{parts[1]}"
    return parts[0]


def folder_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, targets in sorted(graph.items()):
        unit = unit_of(module)
        allowed = ALLOWED.get(unit)
        if allowed is None:
            out.append(f"{module}: unit {unit!r} has no rule in ALLOWED (add it, and to docs/design.md)")
            continue
        if "*" in allowed:
            continue
        for target in sorted(targets):
            other = unit_of(target)
            if other != unit and other not in allowed:
                out.append(f"{module} ({unit}) imports {target} ({other})")
    return out


def long_modules(paths: Iterable[Path], base: Path = REPO) -> list[str]:
    return [
        f"{p.relative_to(base)}: {n} lines"
        for p in paths
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]


@pytest.mark.parametrize(("root", "package"), [(LIBRARY, "humangov_deploy"), (APP, "humangov")])
def test_no_import_cycle(root: Path, package: str) -> None:
    assert cycles(import_graph(root, package)) == []


def test_each_folder_imports_only_the_folders_below_it() -> None:
    assert folder_violations(import_graph(LIBRARY, "humangov_deploy")) == []


def test_the_two_platforms_never_import_each_other() -> None:
    graph = import_graph(LIBRARY, "humangov_deploy")
    crossing = [
        (m, t)
        for m, targets in graph.items()
        for t in targets
        if {unit_of(m), unit_of(t)} == {"platforms.aws", "platforms.local"}
    ]
    assert crossing == []


def test_platforms_folder_shows_two_platforms_and_their_interface() -> None:
    entries = sorted(p.name for p in (LIBRARY / "platforms").iterdir() if p.name != "__pycache__")
    assert entries == ["__init__.py", "aws", "base.py", "local"]
    assert (LIBRARY / "platforms" / "aws" / "__init__.py").is_file()
    assert (LIBRARY / "platforms" / "local" / "__init__.py").is_file()


def test_no_module_is_over_500_lines() -> None:
    assert long_modules([*LIBRARY.rglob("*.py"), *APP.rglob("*.py")]) == []


def test_every_unit_of_the_library_is_in_the_design_page() -> None:
    """docs/design.md's dependency rule names every unit the test knows (so the page and the rule agree)."""
    page = (REPO / "docs" / "design.md").read_text(encoding="utf-8")
    rule = page.split("## Which folder may import which", 1)[1].split("\n## ", 1)[0]
    missing = [unit for unit in ALLOWED if f"`{unit}`" not in rule]
    assert missing == []


# The checks themselves must be able to fail: each finds what it is for in a small made-up graph.


def test_cycles_finds_a_cycle_through_a_lazy_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.a import x\n")
    (pkg / "c.py").write_text("from . import a\n")
    assert cycles(import_graph(pkg, "pkg")) == [["pkg.a", "pkg.b"]]


def test_folder_rule_reports_an_upward_import() -> None:
    graph = {
        "humangov_deploy.build.images": {"humangov_deploy.platforms.local.spec"},
        "humangov_deploy.platforms.local.tasks": {"humangov_deploy.build.images"},
        "humangov_deploy.platforms.aws.spec": {"humangov_deploy.platforms.local.spec"},
    }
    assert folder_violations(graph) == [
        "humangov_deploy.build.images (build) imports humangov_deploy.platforms.local.spec (platforms.local)",
        "humangov_deploy.platforms.aws.spec (platforms.aws) imports humangov_deploy.platforms.local.spec "
        "(platforms.local)",
    ]


def test_long_modules_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "small.py").write_text("x = 1\n" * MAX_LINES)
    assert long_modules(sorted(tmp_path.glob("*.py")), base=tmp_path) == [f"big.py: {MAX_LINES + 1} lines"]
