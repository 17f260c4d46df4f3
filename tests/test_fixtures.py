"""Every fixture through the whole pipeline: capture, diagnose, plan, rewrite, verify, write, run.

A buggy fixture must be found at the line its header names, rewritten byte for
byte into its ``.fixed.py``, and the rewritten script must then run. A fixture
with no ``.fixed.py`` is a correct script that must come back clean.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import Case, fixture_cases

from kerasfix.pipeline import Options, process
from kerasfix.types import FINDING_KINDS

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
    after = (tmp_path / case.path.name).read_bytes()
    if case.unfixable:
        assert result.status == "findings"
        assert after == case.path.read_bytes()
        return
    assert case.fixed is not None, "a fixable fixture needs its .fixed.py"
    assert result.status == "fixed", result.message
    # A script that trains must now get through a training step; one that only predicts, through predict.
    assert result.trains_after is (True if b".fit(" in case.path.read_bytes() else None)
    assert after == case.fixed.read_bytes()
    run = subprocess.run([sys.executable, path], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]


@pytest.mark.parametrize("case", CLEAN, ids=lambda c: c.id)
def test_clean_fixture_has_no_findings(case: Case, tmp_path) -> None:
    path = _copy(case, tmp_path)
    result = process(path, Options())
    assert result.status == "clean", [str(f) for f in result.findings] or result.message
    assert result.trains_after is True


def test_every_finding_kind_has_a_buggy_and_a_fixed_fixture() -> None:
    by_kind = {c.kind for c in BUGGY if c.fixed is not None or c.unfixable}
    missing = [k for k in FINDING_KINDS if k not in by_kind]
    assert missing == []
    for case in BUGGY:
        assert case.unfixable or case.fixed is not None, case.id
