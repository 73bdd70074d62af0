"""One definition of each thing in geo/ (issue 16), checked on the source with ``ast``.

A second definition is how the Location profile and the Youth work page came to put a
Friday-evening session in different time-of-week blocks. These checks fail when one
appears again:

* no public name (function, class or constant) is defined at the top of two geo modules;
* the things the data model fixes live in one named module each: time-of-week blocks,
  quarters, ethnic groups, incident categories, table definitions and the int/str cell
  conversion;
* only :mod:`geo.core.hexes` imports h3 (the only place a cell changes type), only
  :mod:`geo.store` writes table definitions (generated from :mod:`geo.core.schema`).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parents[1] / "geo"

#: Where each fixed thing is defined, and one name that must be defined there only.
HOMES: dict[str, tuple[str, ...]] = {
    "core/time_of_week.py": ("TimeBlock", "DEFAULT_BLOCKS", "block_of", "block_hours"),
    "core/filters.py": ("Filters", "quarter_label", "quarter_menu", "month_quarter_label"),
    "core/hexes.py": ("str_to_cells", "cells_to_str"),
    "core/errors.py": ("InsufficientDataError", "ConfigError", "StoreError"),
    "core/ethnicity.py": ("GROUPS", "ETHNIC_GROUPS", "GROUP_LABELS", "map_ethnicity"),
    "core/schema.py": (
        "TABLES", "INCIDENT_CATEGORIES", "INCIDENT_CATEGORY_LABELS", "HSB", "KIND_TABLES",
    ),  # fmt: skip
    "store/tables.py": ("DDL", "SCHEMA_VERSION"),
    "core/types.py": ("BoolArray", "FloatArray", "IntArray", "CellArray"),
    "core/area.py": ("to_bng", "from_bng", "cells_to_bng"),
}


def _modules() -> list[Path]:
    return sorted(p for p in GEO.rglob("*.py") if "__pycache__" not in p.parts)


def top_level_definitions(source: str) -> list[str]:
    """Names a module defines at its top level (functions, classes, assigned names)."""
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def _definitions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in _modules():
        rel = path.relative_to(GEO).as_posix()
        for name in top_level_definitions(path.read_text(encoding="utf-8")):
            if not name.startswith("_"):
                found[name].append(rel)
    return found


def test_checker_sees_every_kind_of_definition() -> None:
    source = "A = 1\nB: int = 2\ndef f(): pass\nclass C: pass\n_p = 3\nif A:\n    D = 4\n"
    assert top_level_definitions(source) == ["A", "B", "f", "C", "_p"]


#: Names every module of a kind defines on purpose (a protocol, not a second definition):
#: each partner-format module declares its ``ADAPTERS`` for the registry.
PROTOCOL_NAMES: frozenset[str] = frozenset({"ADAPTERS"})


def test_no_public_name_is_defined_twice() -> None:
    twice = {
        n: where
        for n, where in _definitions().items()
        if len(where) > 1 and n not in PROTOCOL_NAMES
    }
    assert not twice, f"defined in more than one geo module: {twice}"


@pytest.mark.parametrize("home", sorted(HOMES))
def test_fixed_things_live_in_their_home(home: str) -> None:
    found = _definitions()
    for name in HOMES[home]:
        assert found.get(name) == [home], (name, found.get(name))


def _quarter_fstrings(tree: ast.AST) -> list[int]:
    """Lines of f-strings that spell a quarter by hand (``f"{p.year} Q{p.quarter}"``)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            attrs = {
                v.value.attr
                for v in node.values
                if isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Attribute)
            }
            if {"year", "quarter"} <= attrs:
                lines.append(node.lineno)
    return lines


def test_quarters_are_named_in_one_place() -> None:
    found = []
    for path in _modules():
        rel = path.relative_to(GEO).as_posix()
        if rel == "core/filters.py":
            continue
        found += [f"{rel}:{n}" for n in _quarter_fstrings(ast.parse(path.read_text()))]
    assert not found, f"quarters spelt by hand (use geo.core.filters): {found}"


def test_only_the_store_defines_tables() -> None:
    found = [
        path.relative_to(GEO).as_posix()
        for path in _modules()
        if "CREATE TABLE" in path.read_text(encoding="utf-8").upper()
        and path.relative_to(GEO).parts[0] != "store"
    ]
    assert not found, found


def test_only_hexes_imports_h3() -> None:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            if any(m.split(".")[0] == "h3" for m in mods):
                found.append(path.relative_to(GEO).as_posix())
    assert set(found) == {"core/hexes.py"}, found


def _hand_made_cell_conversions(tree: ast.AST) -> list[int]:
    """Lines that turn a cell id into text or back by hand: ``int(x, 16)``, ``hex(x)``,
    ``format(x, "x")`` or ``f"{x:x}"`` (geo.core.hexes' cells_to_str/str_to_cells do it)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name, args = node.func.id, node.args
            second = getattr(args[1], "value", None) if len(args) == 2 else None
            if (name, second) in {("int", 16), ("format", "x")} or name == "hex":
                lines.append(node.lineno)
        elif isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
            spec = "".join(
                v.value for v in node.format_spec.values if isinstance(v, ast.Constant)
            )
            if spec.endswith("x"):
                lines.append(node.lineno)
    return lines


def test_checker_finds_hand_made_cell_conversions() -> None:
    source = 'a = int(s, 16)\nb = hex(c)\nd = format(c, "x")\ne = f"{c:x}"\nf = int(s)\n'
    assert _hand_made_cell_conversions(ast.parse(source)) == [1, 2, 3, 4]


def test_cells_change_type_only_in_hexes() -> None:
    found = []
    for path in _modules():
        rel = path.relative_to(GEO).as_posix()
        if rel == "core/hexes.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{rel}:{n}" for n in _hand_made_cell_conversions(tree)]
    assert not found, f"cells converted outside geo.core.hexes: {found}"
