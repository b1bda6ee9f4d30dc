"""The house's floors, held against the code: no module imports another that imports
it back (any import, also one inside a function), and no floor imports one above it.
See docs/ARCHITECTURE.md for the floors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "bot").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str) -> set[str]:
    """The bot modules `module` imports, wherever the import statement stands."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            prefix = ".".join(base + ([node.module] if node.module else []))
            names = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
        else:
            continue
        # A module inside a package may import its package (for a sibling); that is no loop.
        found |= {n for n in names if n in MODULES and n != module and not module.startswith(n + ".")}
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def _in(module: str, *places: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in places)


def test_no_import_loops():
    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            for nxt in GRAPH[todo.pop()] - seen:
                if nxt == goal:
                    return True
                seen.add(nxt)
                todo.append(nxt)
        return False

    loops = sorted(m for m in MODULES if reaches(m, m))
    assert loops == []


ABOVE_WORKFLOWS = ("bot.slack", "bot.web", "bot.greenhouse_webhook", "bot.runtime", "bot.background",
                   "bot.housekeeping", "bot.demo", "bot.__main__")
BELOW = {
    # floor: what it must never import
    "bot.services": ABOVE_WORKFLOWS,
    "bot.workflows": ABOVE_WORKFLOWS + ("bot.services",),
    "bot.identity": ABOVE_WORKFLOWS + ("bot.services", "bot.workflows"),
    "bot.greenhouse": ABOVE_WORKFLOWS + ("bot.services", "bot.workflows", "bot.identity", "bot.store"),
    "bot.store": ABOVE_WORKFLOWS + ("bot.services", "bot.workflows", "bot.identity", "bot.greenhouse"),
}


@pytest.mark.parametrize("floor", sorted(BELOW))
def test_no_floor_imports_one_above_it(floor):
    upward = sorted(f"{m} -> {t}" for m in MODULES if _in(m, floor) for t in GRAPH[m] if _in(t, *BELOW[floor]))
    assert upward == []


def test_what_waits_for_the_budget_is_a_floor_below_everything():
    # bot/waiting.py is shared by the limiter, the caches and the Slack layer: it imports none of them.
    assert GRAPH["bot.waiting"] == set()


def test_the_budgets_arithmetic_is_a_floor_below_the_limiter_and_the_store():
    # bot/rate_budget.py counts for both the limiter's own budget and the store's: it imports neither.
    assert GRAPH["bot.rate_budget"] == set()
    assert "bot.rate_budget" in GRAPH["bot.greenhouse.ratelimit"] and "bot.rate_budget" in GRAPH["bot.store.budget"]


def test_only_the_entry_points_import_the_composition_root():
    importers = sorted(m for m in MODULES if "bot.runtime" in GRAPH[m])
    assert all(_in(m, "bot.__main__", "bot.demo") for m in importers), importers


def test_the_checks_see_the_imports_they_judge():
    # A guard on the guard: the graph is read from the code, also inside functions.
    assert "bot.web" in GRAPH["bot.runtime"]
    assert "bot.runtime" in GRAPH["bot.demo.run"]  # an import inside a function
    assert "bot.identity" in GRAPH["bot.workflows.jobs"]
