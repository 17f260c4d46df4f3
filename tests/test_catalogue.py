"""The fault catalogue as the one home of each kind, and the structure that keeps it so (no TensorFlow here)."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from kerasfix import faults
from kerasfix.kinds import Family, Kind
from kerasfix.report import sarif_rules
from kerasfix.serialize import finding_from_json
from kerasfix.types import Applicability, Detail, Finding, Severity, to_jsonable

PACKAGE = ROOT / "kerasfix"


def test_every_kind_has_exactly_one_entry_with_its_words_and_detail_type() -> None:
    assert [e.kind for e in faults.CATALOGUE] == list(dict.fromkeys(e.kind for e in faults.CATALOGUE))
    assert {e.kind for e in faults.CATALOGUE} == set(Kind)
    for e in faults.CATALOGUE:
        assert isinstance(e.family, Family)
        assert e.summary and e.explanation and e.before and e.after and e.fix, e.kind
        assert isinstance(e.applicability, Applicability)
        assert issubclass(e.detail, Detail) and dataclasses.is_dataclass(e.detail) and e.detail is not Detail
        assert e.classify is not None or e.detectors or e.scan is not None, f"{e.kind} can never be found"
        assert faults.entry(e.kind.value) is e


def test_the_catalogue_order_is_the_priority_order_data_first() -> None:
    families = [e.family for e in faults.CATALOGUE]
    assert families == sorted(families, key=[Family.KERAS2, Family.DATA, Family.CONNECTION, Family.LABELS].index)
    assert faults.rank(Kind.DTYPE_MISMATCH) < faults.rank(Kind.RANK_MISMATCH) < faults.rank(Kind.UNITS_MISMATCH)


def test_kinds_are_their_strings_in_json() -> None:
    assert json.dumps({"k": Kind.RANK_MISMATCH}) == '{"k": "rank_mismatch"}'
    assert f"{Kind.UNITS_MISMATCH}" == "units_mismatch" and Kind.UNITS_MISMATCH == "units_mismatch"


@pytest.mark.parametrize("entry", faults.CATALOGUE, ids=lambda e: e.kind.value)
def test_each_detail_type_survives_the_process_boundary(entry: faults.Entry) -> None:
    fields = dataclasses.fields(entry.detail)
    sample = {f.name: _example(f.type) for f in fields}
    detail = entry.detail(**sample)
    finding = Finding(entry.kind, "m", "layer", "input", "e", "a", None, Severity.WARNING, detail)
    back = finding_from_json(json.loads(json.dumps(to_jsonable(finding))))
    assert back == finding and type(back.detail) is entry.detail


def _example(annotation: object) -> object:
    text = str(annotation)
    if text.startswith("Literal["):
        return ast.literal_eval(text[len("Literal["):].split(",")[0].rstrip("]"))
    if "Shape" in text or "tuple" in text:
        return (None, 3)
    if text.startswith("int"):
        return 3
    if text.startswith("bool"):
        return True
    return "x"


def test_sarif_rules_take_their_descriptions_from_the_catalogue() -> None:
    rules = {r["id"]: r for r in sarif_rules()}
    for e in faults.CATALOGUE:
        assert rules[e.kind.value]["shortDescription"]["text"] == e.summary
        assert e.before in rules[e.kind.value]["help"]["text"]
    assert "could_not_run" in rules


# -- the structure ------------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every kerasfix module ``path`` imports, at any depth of the file (function-level imports too).

    ``from package import submodule`` depends on the submodule, not on the package's ``__init__``.
    """
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kerasfix"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kerasfix") and node.level == 0:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(node.module)
    return found


def test_the_package_has_no_import_circle() -> None:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in _imports(path, set(modules)) if t in modules and t != name}
        # ``from kerasfix import faults`` names the package; only the public re-exports of __init__ count.
        graph[name] = {t for t in targets if t != "kerasfix"}
    graph["kerasfix"] = set()  # the public API's lazy imports are the doors, not a floor
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = 2

    for name in sorted(graph):
        if name not in seen:
            visit(name)


#: The planner, the capture child and runner, the pipeline and the renderers work on data, never on prose.
NO_PROSE_PARSING = ["plan.py", "capture/child.py", "capture/runner.py", "pipeline.py", "report.py", "review.py"]
_PROSE = {"message", "expected", "actual", "summary", "reason", "why_not"}


@pytest.mark.parametrize("name", NO_PROSE_PARSING)
def test_no_regex_or_substring_test_on_a_message(name: str) -> None:
    tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if "re" in mods:
                problems.append(f"line {node.lineno}: imports re")
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Attribute) and side.attr in _PROSE:
                    problems.append(f"line {node.lineno}: `in` on .{side.attr}")
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Attribute) and side.attr in ("expected", "actual", "message"):
                    problems.append(f"line {node.lineno}: compares .{side.attr}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("startswith", "endswith", "split", "find", "index", "search", "match")
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in _PROSE):
            problems.append(f"line {node.lineno}: .{node.func.value.attr}.{node.func.attr}()")
    assert problems == []


def test_the_detectors_run_without_tensorflow() -> None:
    code = (
        "import sys, kerasfix.faults, kerasfix.faults.labels, kerasfix.report, kerasfix.pipeline\n"
        "bad = [m for m in ('tensorflow', 'keras', 'jax', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
