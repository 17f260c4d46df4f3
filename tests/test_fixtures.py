"""Every fixture through the whole pipeline: capture, diagnose, plan, rewrite, verify, write, run.

A buggy fixture must be found at the line its header names, rewritten byte for
byte into its ``.fixed.py``, and the rewritten script must then run. A fixture
with no ``.fixed.py`` is a correct script that must come back clean.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, Case, fixture_cases

from kerasfix import faults, suggest_fixes
from kerasfix.capture.pool import Request, Response, shared_pool
from kerasfix.capture.runner import PRELOAD
from kerasfix.kinds import Family
from kerasfix.pipeline import Options, process
from kerasfix.types import to_jsonable

CASES = fixture_cases()
BUGGY = [c for c in CASES if c.kind is not None]
CLEAN = [c for c in CASES if c.kind is None]


def _copy(case: Case, tmp_path) -> str:
    target = tmp_path / case.path.name
    shutil.copyfile(case.path, target)
    return str(target)


@pytest.mark.parametrize("case", BUGGY, ids=lambda c: c.id)
def test_buggy_fixture_is_found_and_repaired(case: Case, tmp_path) -> None:
    path = _copy(case, tmp_path)
    result = process(path, Options(write=True))
    kinds = {(f.kind, f.origin.line if f.origin else None) for f in result.findings}
    assert (case.kind, case.line) in kinds, f"{result.status}: {result.message} {kinds}"
    _same_through_both_doors(case, result)
    after = (tmp_path / case.path.name).read_bytes()
    if case.unfixable:
        assert result.status == "findings"
        assert after == case.path.read_bytes()
        return
    assert case.fixed is not None, "a fixable fixture needs its .fixed.py"
    assert result.status == "fixed", result.message or result.why_not
    # A script that trains must now get through a training step; one that only predicts, through predict.
    assert result.trains_after is (True if b".fit(" in case.fixed.read_bytes() else None)
    assert after == case.fixed.read_bytes()
    ran = run_warm(path)
    assert ran.status == "ok" and ran.result and ran.result["ok"], (ran.result, ran.output[-2000:])


def _without_positions(tree: Any) -> Any:
    """A finding or fix as data, without source positions (the two doors see the file at different paths)."""
    if isinstance(tree, dict):
        # loss_after is a measurement (one step from random weights), not part of the fix; ``also`` are the
        # other calls of the script given the same data, which only a script run can know.
        return {k: _without_positions(v) for k, v in tree.items() if k not in ("origin", "call", "loss_after", "also")}
    if isinstance(tree, list):
        return [_without_positions(v) for v in tree]
    return tree


def _run_in_process(path: Path) -> Any:
    """Run a fixture here under the capture hooks, to its end, recording each data call (what a user holds in a
    session at that call), as the child does."""
    import keras

    from kerasfix.capture.hooks import Hooks
    from kerasfix.capture.sites import Recorder

    keras.backend.clear_session()  # automatic layer names start afresh, as in the child
    keras.utils.set_random_seed(0)
    source = path.read_text(encoding="utf-8")
    hooks = Hooks(str(path), source.splitlines())
    recorder = Recorder(hooks.captured)
    hooks.on_call = recorder
    cwd, argv = os.getcwd(), sys.argv
    os.chdir(path.parent)
    sys.argv = [str(path)]  # as ``python script.py`` (and the child) runs it: argparse must not read pytest's
    try:
        # The script may die where its model fails to connect: that is the case looked at.
        with hooks, contextlib.suppress(Exception):
            exec(compile(source, str(path), "exec"), {"__name__": "__main__", "__file__": str(path)})
    finally:
        os.chdir(cwd)
        sys.argv = argv
    return hooks.captured, recorder


def _same_through_both_doors(case: Case, result: Any) -> None:
    """``suggest_fixes(model, x, y)`` at the first faulty call, on the model and data the script holds there,
    gives what ``kerasfix apply`` found there, and the same top fix."""
    entry = faults.entry(case.kind or "")
    if entry.family is Family.KERAS2:
        return  # found in the source text, before any model exists: there is nothing to hand to suggest_fixes
    captured, recorder = _run_in_process(case.path)
    faulty = recorder.with_findings()
    if not faulty:
        # Nothing a user could hand to suggest_fixes: the model failed to connect (a Functional model is never
        # made), or the fault is how the script uses a model it never called with data.
        assert captured.call_failure is not None or entry.script_only or not recorder.sites, "no faulty data call"
        return
    site = faulty[0]
    from kerasfix.diagnosis import diagnose

    api = _without_positions(to_jsonable(diagnose(site.model, site.x, site.y).findings))
    cli = _without_positions(to_jsonable(result.findings))
    assert api and all(f in cli for f in api), (api, cli)
    if result.fixes:
        fixes = suggest_fixes(site.model, site.x, site.y)
        assert fixes, "kerasfix apply has a fix that suggest_fixes does not"
        assert _without_positions(to_jsonable(fixes[0])) == _without_positions(to_jsonable(result.fixes[0]))


def run_warm(path: str) -> Response:
    """Run a script as ``python script.py`` would, in a process forked from the warm worker (no TF import)."""
    request = Request("kerasfix.capture.child:run_plain", {"script": path}, os.path.dirname(path), (path,), 300)
    return shared_pool(2, preload=PRELOAD).run(request)


@pytest.mark.parametrize("case", CLEAN, ids=lambda c: c.id)
def test_clean_fixture_has_no_findings(case: Case, tmp_path) -> None:
    path = _copy(case, tmp_path)
    before = sorted(os.listdir(tmp_path))
    result = process(path, Options())
    assert result.status == "clean", [str(f) for f in result.findings] or result.message
    assert result.trains_after is True
    assert sorted(os.listdir(tmp_path)) == before, "the check left files behind"


def test_catalogue_and_fixture_folders_match_both_ways() -> None:
    """Every catalogue entry has its folder with a buggy script and what it must become; every folder is a kind."""
    kinds = {e.kind.value for e in faults.CATALOGUE}
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()} - {"clean", "notebooks"}
    assert folders - kinds == set(), "fixture folders that name no kind in the catalogue"
    for e in faults.CATALOGUE:
        in_folder = [c for c in BUGGY if c.path.parent.name == e.fixtures]
        assert in_folder, f"no buggy fixture in fixtures/{e.fixtures}/"
        assert all(c.kind == e.kind.value for c in in_folder), f"a fixture in fixtures/{e.fixtures}/ expects another kind"
        assert any(c.fixed is not None or c.unfixable for c in in_folder), e.kind
    for case in BUGGY:
        assert case.unfixable or case.fixed is not None, case.id
