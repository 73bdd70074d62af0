"""The geo/ layering rule (DESIGN.md §1), checked on the source with ``ast``.

ruff's TID251 bans streamlit, streamlit_folium and folium in geo/, but ruff can only lift the
whole rule for a file, so geo/render/maps.py (allowed folium) would escape the streamlit ban there.
This test closes that gap and also covers imports hidden from ruff (``importlib.import_module``).
A second test imports every geo module in a fresh interpreter and checks that Streamlit was not
pulled in indirectly.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
GEO = REPO_ROOT / "geo"

#: Top-level modules geo/ may never import.
BANNED_IN_GEO = frozenset({"streamlit", "streamlit_folium"})
#: Top-level modules only the named geo/ files (relative to geo/) may import.
RESTRICTED_IN_GEO = {"folium": frozenset({"render/maps.py"})}


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every absolute import, including dynamic ``import_module("x")``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if (
                name in {"import_module", "__import__"}
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.append((node.lineno, first.value))
    return found


def layering_violations(source: str, relpath: str) -> list[str]:
    """Violations of the geo/ import rule in ``source``; ``relpath`` is relative to geo/."""
    tree = ast.parse(source, filename=f"geo/{relpath}")
    problems: list[str] = []
    for line, module in _imported_modules(tree):
        top = _top(module)
        if top in BANNED_IN_GEO:
            problems.append(f"geo/{relpath}:{line} imports {module} (never allowed in geo/)")
        elif top in RESTRICTED_IN_GEO and relpath not in RESTRICTED_IN_GEO[top]:
            allowed = ", ".join(f"geo/{p}" for p in sorted(RESTRICTED_IN_GEO[top]))
            problems.append(f"geo/{relpath}:{line} imports {module} (only {allowed} may)")
    return problems


def _geo_files() -> list[Path]:
    return sorted(p for p in GEO.rglob("*.py") if "__pycache__" not in p.parts)


# --- the checker itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "relpath", "expected"),
    [
        ("import streamlit as st\n", "hotspots.py", 1),
        ("from streamlit.components.v1 import html\n", "hotspots.py", 1),
        ("from streamlit_folium import st_folium\n", "render/maps.py", 1),
        ("import streamlit\n", "render/maps.py", 1),  # the gap ruff cannot express
        ("import folium\n", "hotspots.py", 1),
        ("from folium.plugins import HeatMap\n", "sources/police.py", 1),
        ("def f():\n    import streamlit\n", "store.py", 1),  # nested imports count
        ("import importlib\nimportlib.import_module('streamlit')\n", "store.py", 1),
        ("__import__('folium')\n", "store.py", 1),
        ("import folium\nfrom folium import GeoJson\n", "render/maps.py", 0),
        ("import numpy as np\nfrom . import hexes\nfrom .maps import x\n", "hotspots.py", 0),
        ("import foliumx\nimport streamlitish\n", "hotspots.py", 0),  # prefix is not a match
        ("import os, streamlit, folium\n", "config.py", 2),
    ],
)
def test_checker_on_fake_sources(source: str, relpath: str, expected: int) -> None:
    assert len(layering_violations(source, relpath)) == expected


def test_checker_reports_file_and_line() -> None:
    (problem,) = layering_violations("'''doc'''\n\nimport streamlit as st\n", "demo.py")
    assert problem.startswith("geo/demo.py:3 imports streamlit")


# --- the real package --------------------------------------------------------------------------


def test_geo_package_exists() -> None:
    # Guards against the layering test passing vacuously on an empty or moved package.
    assert (GEO / "__init__.py").is_file()
    assert _geo_files(), "no .py files found under geo/"


def test_geo_respects_layering() -> None:
    problems: list[str] = []
    for path in _geo_files():
        rel = path.relative_to(GEO).as_posix()
        problems.extend(layering_violations(path.read_text(encoding="utf-8"), rel))
    assert not problems, "geo/ layering violated:\n" + "\n".join(problems)


_IMPORT_ALL = """
import importlib, pkgutil, sys
import geo
names = [m.name for m in pkgutil.walk_packages(geo.__path__, "geo.")
         if not m.name.endswith("__main__")]
for name in names:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"streamlit", "streamlit_folium"})
assert not leaked, f"importing geo pulled in: {leaked[:5]}"
print(len(names))
"""


def test_importing_geo_does_not_load_streamlit() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]


def test_role_names_live_in_the_role_type_auth_and_disclosure_only() -> None:
    """Roles are a type (geo.core.roles.Role): outside the role type, ui/auth and the
    publication layer no code compares or passes the partnership role by its name."""
    allowed = {REPO_ROOT / "geo" / "core" / "roles.py", REPO_ROOT / "ui" / "auth.py"}
    found = []
    for folder in ("geo", "ui", "pages"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if path in allowed or (REPO_ROOT / "geo" / "disclosure") in path.parents:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if '"partnership"' in line:
                    found.append(f"{path.relative_to(REPO_ROOT)}:{number}")
    assert not found, found


def test_no_threshold_defaults_in_function_signatures() -> None:
    """min_count comes from the one disclosure policy, never from a default in a signature."""
    found = []
    for path in (REPO_ROOT / "geo").rglob("*.py"):
        if (REPO_ROOT / "geo" / "disclosure") in path.parents or path.name == "config.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                args = node.args
                positional = args.posonlyargs + args.args
                names = [a.arg for a in positional[::-1]]
                defaults = dict(zip(names, args.defaults[::-1], strict=False))
                kw = {
                    a.arg: d
                    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                    if d is not None
                }
                if "min_count" in defaults or "min_count" in kw:
                    found.append(f"{path.relative_to(REPO_ROOT)}:{node.name}")
    assert not found, found


# --- the pipeline's stages (issue 16) ------------------------------------------------------------

#: Which stages each stage of geo/ may import (its own included). The pipeline reads
#: ingest -> store -> stats -> disclosure -> lenses -> render; core is shared by all.
STAGE_IMPORTS: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "stats": frozenset({"core", "stats"}),
    "store": frozenset({"core", "store"}),
    "ingest": frozenset({"core", "store", "ingest"}),
    "disclosure": frozenset({"core", "store", "stats", "disclosure"}),
    "lenses": frozenset({"core", "store", "stats", "disclosure", "lenses"}),
    "render": frozenset({"core", "store", "stats", "disclosure", "lenses", "render"}),
    "demo": frozenset({"core", "ingest", "store", "stats", "disclosure", "lenses", "demo"}),
}
#: Modules at the top of geo/ (entry points, not a stage).
TOP_LEVEL = frozenset({"__init__.py", "__main__.py"})


def _stage_of(relpath: str) -> str | None:
    first = relpath.split("/", 1)[0]
    return None if first in TOP_LEVEL else first


def stage_violations(source: str, relpath: str) -> list[str]:
    """Imports of ``source`` (at ``geo/<relpath>``) that cross the stage order."""
    stage = _stage_of(relpath)
    if stage is None:
        return []
    allowed = STAGE_IMPORTS[stage]
    problems = []
    for line, module in _imported_modules(ast.parse(source)):
        parts = module.split(".")
        if parts[0] != "geo" or len(parts) < 2:
            continue
        if parts[1] not in allowed:
            problems.append(f"geo/{relpath}:{line} imports {module} ({stage} may not)")
    return problems


@pytest.mark.parametrize(
    ("source", "relpath", "expected"),
    [
        ("from geo.store.database import Store\n", "stats/getis_ord.py", 1),
        ("from geo.core import hexes\n", "stats/getis_ord.py", 0),
        ("from geo.render.hexlayer import HexLayer\n", "lenses/story.py", 1),
        ("import geo.lenses.story\n", "core/config.py", 1),
        ("from geo.disclosure import store_for\n", "render/layers.py", 0),
        ("from geo.lenses import story\n", "__main__.py", 0),
    ],
)
def test_stage_checker_on_fake_sources(source: str, relpath: str, expected: int) -> None:
    assert len(stage_violations(source, relpath)) == expected


def test_every_geo_module_lives_in_a_stage() -> None:
    stray = [
        p.relative_to(GEO).as_posix()
        for p in _geo_files()
        if p.parent == GEO and p.name not in TOP_LEVEL
    ]
    stages = {p.name for p in GEO.iterdir() if (p / "__init__.py").is_file()}
    assert not stray, f"modules outside a stage folder: {stray}"
    assert stages == set(STAGE_IMPORTS), stages ^ set(STAGE_IMPORTS)


def test_geo_respects_the_stage_order() -> None:
    problems: list[str] = []
    for path in _geo_files():
        rel = path.relative_to(GEO).as_posix()
        problems.extend(stage_violations(path.read_text(encoding="utf-8"), rel))
    assert not problems, "stage order violated:\n" + "\n".join(problems)


def test_every_stage_declares_its_modules() -> None:
    """Each stage's ``__init__`` lists its modules in ``__all__`` (the folder's table of
    contents), and lists no module that does not exist."""
    for stage in STAGE_IMPORTS:
        init = GEO / stage / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        declared: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                declared = set(ast.literal_eval(node.value))
        present = {
            p.stem if p.is_file() else p.name
            for p in (GEO / stage).iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
        }
        assert present <= declared | _public_names(tree), (stage, present - declared)
        assert declared - _public_names(tree) <= present, (stage, declared - present)


def _public_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_unit_tests_mirror_the_stages() -> None:
    """tests/geo/ has one folder per stage and no unit test outside them."""
    tests = REPO_ROOT / "tests" / "geo"
    folders = {p.name for p in tests.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(STAGE_IMPORTS), folders ^ set(STAGE_IMPORTS)
    assert not list(tests.glob("test_*.py")), "unit tests outside a stage folder"


#: The publication layer's primitives: only geo/disclosure/ builds withholding or
#: perturbation from them; every other module asks it for disclosed results.
WITHHOLDING_PRIMITIVES = frozenset(
    {
        "small_counts",
        "suppress_small_counts",
        "protect_hierarchy",
        "publish_counts",
        "perturb",
        "placesafe_ptable",
        "PerturbationTable",
    }
)


def test_only_disclosure_withholds() -> None:
    found = []
    for folder in ("geo", "ui", "pages"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            if (REPO_ROOT / "geo" / "disclosure") in path.parents:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names: set[str] = set()
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geo"):
                    names = {a.name for a in node.names}
                elif isinstance(node, ast.Attribute):
                    names = {node.attr}
                hit = names & WITHHOLDING_PRIMITIVES
                if hit:
                    found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {sorted(hit)}")
    assert not found, found
