"""``kerasfix rule KIND``: every kind of the catalogue documented from its entry, and SARIF rules carrying the same."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from kerasfix import faults
from kerasfix.cli import main
from kerasfix.report import Report, render_rule, render_sarif, rule_url

SARIF_SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"


@pytest.mark.parametrize("entry", faults.CATALOGUE, ids=lambda e: e.kind.value)
def test_rule_prints_summary_why_example_and_applicability(entry, capsys) -> None:
    assert main(["rule", entry.kind.value]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"# {entry.kind.value} ({entry.family.value})\n")
    for part in (entry.summary[1:], entry.explanation, entry.before, entry.after, entry.fix[1:]):
        assert part in out
    assert "## Why it matters" in out and "## Example" in out
    assert f"Applicability: {entry.applicability.value} — " in out
    assert out == render_rule(entry) + "\n"


def test_rule_all_prints_every_kind_in_catalogue_order(capsys) -> None:
    assert main(["rule", "--all"]) == 0
    out, _ = capsys.readouterr()
    headings = [line.split()[1] for line in out.splitlines() if line.startswith("# ")]
    assert headings == [e.kind.value for e in faults.CATALOGUE]


def test_a_family_prints_its_kinds(capsys) -> None:
    assert main(["rule", "keras2"]) == 0
    out, _ = capsys.readouterr()
    headings = [line.split()[1] for line in out.splitlines() if line.startswith("# ")]
    assert headings == [e.kind.value for e in faults.CATALOGUE if e.family.value == "keras2"]


@pytest.mark.parametrize("argv", [["rule", "unit_mismatch"], ["rule"], ["rule", "units_mismatch", "--all"]])
def test_an_unknown_kind_or_no_kind_is_one_line_and_exit_2(argv, capsys) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    if argv[1:] == ["unit_mismatch"]:
        assert err.startswith("kerasfix: unknown kind 'unit_mismatch' (known: ")
        assert all(e.kind.value in err for e in faults.CATALOGUE)


def test_sarif_rules_carry_the_rule_documentation_and_a_help_uri_to_its_readme_section() -> None:
    doc = json.loads(render_sarif(Report(), docs="https://example.org/kerasfix/README.md"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    for e in faults.CATALOGUE:
        rule = rules[e.kind.value]
        assert rule["help"]["markdown"] == render_rule(e)
        assert rule["helpUri"] == f"https://example.org/kerasfix/README.md#rule-{e.kind.value}"
    # Without a Documentation URL in the package metadata there is no helpUri: SARIF wants an absolute URI.
    assert rule_url("units_mismatch", "") is None


def test_readme_has_a_section_anchor_for_every_kind_the_help_uris_point_at() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [e.kind.value for e in faults.CATALOGUE if f'<a id="rule-{e.kind.value}"></a>' not in readme]
    assert not missing, f"README.md has no rule anchor for {missing}"
