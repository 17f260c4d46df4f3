"""Shared test setup: quiet TensorFlow, and the fixture corpus."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
_HEADER = re.compile(r"#\s*kerasfix:\s*expect\s+(\w+)@(\d+)(\s+unfixable)?")


@dataclass(frozen=True)
class Case:
    """One fixture: the buggy script, the script it must become, and what must be found."""

    path: Path
    fixed: Path | None
    kind: str | None
    line: int | None
    unfixable: bool

    @property
    def id(self) -> str:
        return f"{self.path.parent.name}/{self.path.stem}"


def fixture_cases() -> list[Case]:
    cases = []
    for path in sorted(FIXTURES.glob("*/*.py")):
        if path.name.endswith(".fixed.py"):
            continue
        fixed = path.with_name(path.stem + ".fixed.py")
        m = _HEADER.search(path.read_text(encoding="utf-8").splitlines()[0])
        cases.append(Case(path, fixed if fixed.exists() else None, m.group(1) if m else None,
                          int(m.group(2)) if m else None, bool(m and m.group(3))))
    return cases
