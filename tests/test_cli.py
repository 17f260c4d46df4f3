"""The command line as a user and a CI job see it: exit codes, streams, diff, formats, --safe-only.

Running a script costs a child process with Keras imported, so the in-process
tests share one ``process()`` result per (file, options) for the read-only
fixture copies; the end-to-end tests run the installed ``kerasfix`` console
script and ``python -m kerasfix`` for real.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, ROOT

from kerasfix import pipeline
from kerasfix.cli import main
from kerasfix.report import JSON_VERSION, json_schema

CNN = FIXTURES / "rank_mismatch" / "cnn_no_flatten.py"
CNN_FIXED = FIXTURES / "rank_mismatch" / "cnn_no_flatten.fixed.py"
SOFTMAX = FIXTURES / "activation_loss_mismatch" / "softmax_one_unit.py"
CLEAN = FIXTURES / "clean" / "functional_two_inputs.py"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
KERASFIX = shutil.which("kerasfix")

_real_process = pipeline.process
_cache: dict[tuple[str, pipeline.Options], pipeline.FileResult] = {}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Read-only copies: ``safe`` (a Flatten is missing), ``review`` (softmax on one unit), ``clean``, ``broken``."""
    d = tmp_path_factory.mktemp("cli")
    out = {}
    for name, src in (("safe", CNN), ("review", SOFTMAX), ("clean", CLEAN)):
        out[name] = d / f"{name}.py"
        shutil.copyfile(src, out[name])
    out["broken"] = d / "broken.py"
    out["broken"].write_text("x = (\n")
    return out


@pytest.fixture
def cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each (file, options) through the real pipeline once per test session (runs that may write: always)."""
    def process(path: str, options: pipeline.Options, progress=lambda _m: None) -> pipeline.FileResult:
        if options.write:
            return _real_process(path, options, progress)
        key = (os.path.abspath(path), options)
        if key not in _cache:
            _cache[key] = _real_process(path, options, progress)
        return dataclasses.replace(_cache[key], path=path)  # named as this call names it

    monkeypatch.setattr(pipeline, "process", process)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def git_apply(tmp_path: Path, target: Path, diff: str) -> bytes:
    """Apply a diff whose headers name ``target`` (absolute) to a copy of it, as a reviewer would."""
    work = tmp_path / "apply"
    copy = work / str(target).lstrip("/")
    copy.parent.mkdir(parents=True)
    shutil.copyfile(target, copy)
    (work / "fix.diff").write_text(diff)
    done = subprocess.run(["git", "apply", "fix.diff"], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return copy.read_bytes()


# -- check ------------------------------------------------------------------------------------


def test_check_exits_1_with_findings_and_0_when_clean(files, cached, capsys) -> None:
    code, out, err = run(capsys, "check", str(files["safe"]))
    assert code == 1
    assert f"── {files['safe']}" in out and "max_pooling2d  MaxPooling2D" in out  # the layer table
    # Layers are named as the script writes them, not by Keras's automatic names (dense, max_pooling2d).
    assert (f"{files['safe']}:15:5: rank_mismatch: the Dense(10) receives (None, 13, 13, 8) from the MaxPooling2D() "
            "at line 14, so the model outputs") in out
    assert "fix [safe]: insert Flatten()" in out
    assert err == "kerasfix: 1 file with findings left\n"
    assert files["safe"].read_bytes() == CNN.read_bytes()

    code, out, err = run(capsys, "check", str(files["clean"]))
    assert code == 0
    assert "rank_mismatch" not in out and "error" not in out
    assert err == "kerasfix: 1 file clean\n"


def test_verbose_adds_the_keras_names_beside_the_written_ones(files, cached, capsys) -> None:
    code, out, _err = run(capsys, "check", "-v", str(files["safe"]))
    assert code == 1
    [header] = [line for line in out.splitlines() if line.strip().startswith("layer")]
    assert header.split() == ["layer", "class", "input", "output", "written"]
    assert "MaxPooling2D() at line 14" in out and "Dense(10) at line 15" in out  # the table's written column
    assert "for 10 classes as integer ids 0..9 [layer dense, from max_pooling2d]; fix [safe]" in out


def test_concise_and_quiet_print_one_line_per_finding(files, cached, capsys) -> None:
    code, out, err = run(capsys, "check", "--output-format", "concise", "--quiet", str(files["safe"]), str(files["clean"]))
    assert code == 1
    assert out.splitlines() == [out.splitlines()[0]]
    assert out.startswith(f"{files['safe']}:15:5: rank_mismatch: ")
    assert err == ""


def test_check_with_a_file_that_cannot_run_exits_2_and_says_why_on_stderr(files, cached, capsys) -> None:
    code, out, err = run(capsys, "check", str(files["clean"]), str(files["broken"]))
    assert code == 2
    assert "does not parse" not in out
    assert err.splitlines() == [f"{files['broken']}:1:5: the file does not parse: '(' was never closed",
                                "kerasfix: 1 file clean, 1 file could not be analysed"]


# -- apply ------------------------------------------------------------------------------------


def test_apply_diff_prints_a_unified_diff_writes_nothing_and_exits_1(files, cached, capsys, tmp_path) -> None:
    code, out, err = run(capsys, "apply", "--diff", str(files["safe"]))
    assert code == 1
    name = str(files["safe"]).lstrip("/")
    assert out.startswith(f"--- a/{name}\n+++ b/{name}\n@@ ")
    assert "\n+    layers.Flatten(),\n" in out
    assert files["safe"].read_bytes() == CNN.read_bytes()  # nothing written
    assert git_apply(tmp_path, files["safe"], out) == CNN_FIXED.read_bytes()  # the diff is the fix
    assert "would fix: insert Flatten()" in err
    assert err.splitlines()[-1] == "kerasfix: 1 file would be fixed"


def test_safe_only_holds_back_a_review_fix_and_says_so(files, cached, capsys) -> None:
    code, out, err = run(capsys, "apply", "--safe-only", str(files["review"]))
    assert code == 1
    assert files["review"].read_bytes() == SOFTMAX.read_bytes()
    assert "activation_loss_mismatch (silent)" in out and 'fix [review]: set activation="sigmoid"' in out
    assert err == "kerasfix: 1 file with findings left, 1 review fix held back (--safe-only)\n"


@pytest.mark.skipif(KERASFIX is None, reason="the kerasfix console script is not installed (pip install -e .)")
def test_the_installed_console_script_applies_the_fix(tmp_path) -> None:
    assert KERASFIX is not None
    target = tmp_path / "train.py"
    shutil.copyfile(CNN, target)
    os.chmod(target, 0o754)
    done = subprocess.run([KERASFIX, "apply", "train.py"], cwd=tmp_path, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "train.py: fixed: insert Flatten()" in done.stdout
    assert "train.py: the patched script now runs to its end (each fit/evaluate/predict on one batch)" in done.stdout
    assert done.stderr == "kerasfix: 1 file fixed\n"
    assert target.read_bytes() == CNN_FIXED.read_bytes()
    assert (os.stat(target).st_mode & 0o777) == 0o754
    assert sorted(os.listdir(tmp_path)) == ["train.py"]  # no temp or backup file left


# -- machine-readable output -------------------------------------------------------------------


def test_json_output_parses_and_has_the_documented_shape(files, cached, capsys) -> None:
    code, out, err = run(capsys, "check", "--json", str(files["safe"]), str(files["clean"]), str(files["broken"]))
    doc = json.loads(out)
    jsonschema.Draft202012Validator(json_schema()).validate(doc)
    assert code == 2 and doc["exit_code"] == 2
    assert set(doc) == {"version", "files", "summary", "exit_code"} and doc["version"] == JSON_VERSION
    assert doc["summary"] == "1 file with findings left, 1 file clean, 1 file could not be analysed"
    keys = {"path", "status", "message", "why_not", "findings", "fixes", "applied", "held", "rejected", "diff",
            "edits", "trains_after", "suppressed", "unused_suppressions"}
    assert [set(f) for f in doc["files"]] == [keys] * 3
    safe, clean, broken = doc["files"]
    assert (safe["path"], safe["status"], clean["status"], broken["status"]) == (
        str(files["safe"]), "findings", "clean", "error")
    [finding] = safe["findings"]
    # 1-based columns, as the text output (train.py:15:5) and ruff's JSON have them.
    assert finding["kind"] == "rank_mismatch" and finding["location"] == {"row": 15, "column": 5}
    assert (finding["origin"]["path"], finding["origin"]["line"], finding["origin"]["column"]) == (
        str(files["safe"]), 15, 5)
    assert finding["fix"] == {"message": safe["fixes"][0]["summary"], "applicability": "safe", "verified": True}
    assert safe["fixes"][0]["applicability"] == "safe" and safe["fixes"][0]["verified"] is True
    # Machine fields keep Keras's names; the message, and the layer an edit is about, say how the script wrote it.
    assert (finding["layer"], finding["producer"]) == ("dense", "max_pooling2d")
    assert finding["message"].startswith("the Dense(10) receives")
    [edit] = safe["fixes"][0]["edits"]
    layer_ref = {"$ref": "#/$defs/layer_ref", "$defs": json_schema()["$defs"]}
    jsonschema.Draft202012Validator(layer_ref).validate(edit["before"])
    assert edit["before"]["name"] == "dense" and edit["before"]["written"] == {
        "call": "Dense(10)", "line": 15, "cell": None, "named": False, "copy": 1, "copies": 1}
    assert clean["findings"] == [] and clean["trains_after"] is True
    assert broken["message"].startswith(f"{files['broken']}:1:5: the file does not parse")
    assert err.splitlines()[0] == broken["message"]  # the error is on stderr too, as one line


def test_json_paths_are_as_given_on_the_command_line(files, cached, capsys, monkeypatch) -> None:
    monkeypatch.chdir(files["safe"].parent)
    code, out, err = run(capsys, "check", "--json", "safe.py")
    [safe] = json.loads(out)["files"]
    assert safe["path"] == "safe.py"
    assert {f["origin"]["path"] for f in safe["findings"]} == {"safe.py"}


def test_github_output_emits_workflow_annotations(files, cached, capsys) -> None:
    code, out, err = run(capsys, "check", "--output-format", "github",
                         str(files["safe"]), str(files["review"]), str(files["broken"]))
    assert code == 2
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"::error file={files['safe']},line=15,col=5,title=rank_mismatch::the Dense(10)")
    assert lines[0].endswith("%0Afix [safe]: insert Flatten() between the MaxPooling2D() at line 14 (None, 13, 13, 8) "
                             "and the Dense(10) at line 15")
    assert lines[1].startswith(f"::warning file={files['review']},line=14,col=5,title=activation_loss_mismatch::")
    assert lines[2].startswith(f"::error file={files['broken']},title=kerasfix::{files['broken']}:1:5:")


def test_github_annotation_properties_are_escaped(tmp_path, capsys) -> None:
    path = tmp_path / "model,v2:final.py"
    path.write_text("x = (\n")  # a parse error: no child process needed
    code, out, err = run(capsys, "check", "--output-format", "github", str(path))
    assert code == 2
    escaped = str(path).replace(",", "%2C").replace(":", "%3A")
    assert out.startswith(f"::error file={escaped},title=kerasfix::")
    assert out.count("::") == 2  # the message holds no stray command separators


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(files, cached, capsys) -> None:
    code, out, err = run(capsys, "check", "--output-format", "sarif",
                         str(files["safe"]), str(files["review"]), str(files["clean"]), str(files["broken"]))
    assert code == 2
    doc = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(doc)
    [run_] = doc["runs"]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    results = {(r["ruleId"], r["level"]) for r in run_["results"]}
    assert results == {("rank_mismatch", "error"), ("activation_loss_mismatch", "warning"), ("could_not_run", "error")}
    assert all(r["ruleId"] in rules for r in run_["results"])
    rank = next(r for r in run_["results"] if r["ruleId"] == "rank_mismatch")
    loc = rank["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == os.path.relpath(files["safe"]).replace(os.sep, "/")
    assert (loc["region"]["startLine"], loc["region"]["startColumn"]) == (15, 5)


def test_sarif_fixes_carry_the_patch_as_replacements_that_validate(files, cached, capsys) -> None:
    code, out, err = run(capsys, "apply", "--diff", "--output-format", "sarif", str(files["safe"]))
    assert code == 1
    doc = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(doc)
    [result] = doc["runs"][0]["results"]  # nothing written yet: the finding is there, with its fix
    [fix] = result["fixes"]
    assert fix["description"]["text"].startswith("fix [safe]: insert Flatten()")
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 15, "startColumn": 1, "endLine": 15, "endColumn": 1},
        "insertedContent": {"text": "    layers.Flatten(),\n"},
    }]
    # The JSON of the same run has the same change as text edits.
    code, out, err = run(capsys, "apply", "--diff", "--json", str(files["safe"]))
    doc = json.loads(out)
    jsonschema.Draft202012Validator(json_schema()).validate(doc)
    assert doc["files"][0]["edits"] == [{"content": "    layers.Flatten(),\n", "location": {"row": 15, "column": 1},
                                         "end_location": {"row": 15, "column": 1}}]


def test_the_sarif_schema_rejects_a_malformed_log() -> None:
    """The vendored schema is the real one: it catches what a hand-written check might miss."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "kerasfix"}},
                                         "results": [{"ruleId": "x", "level": "fatal", "message": {"text": "m"}}]}]}
    with pytest.raises(jsonschema.ValidationError, match="fatal"):
        jsonschema.Draft4Validator(schema).validate(bad)


# -- the program itself ---------------------------------------------------------------------------


def test_python_dash_m_kerasfix_works_as_the_console_script(files, cached, capsys) -> None:
    done = subprocess.run([sys.executable, "-m", "kerasfix", "check", "--json", str(files["safe"])],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    code, out, _ = run(capsys, "check", "--json", str(files["safe"]))
    assert done.returncode == code == 1, done.stderr
    assert done.stderr == "kerasfix: 1 file with findings left\n"

    def essentials(text: str) -> list[tuple[str, str, list[tuple[str, int]]]]:
        return [(f["path"], f["status"], [(g["kind"], g["origin"]["line"]) for g in f["findings"]])
                for f in json.loads(text)["files"]]

    assert essentials(done.stdout) == essentials(out) == [(str(files["safe"]), "findings", [("rank_mismatch", 15)])]


def test_usage_errors_and_help(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "exit codes:" in capsys.readouterr().out
    for argv in ([], ["check"], ["check", "--output-format", "xml", "x.py"], ["lint", "x.py"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv
        assert "usage: kerasfix" in capsys.readouterr().err


@pytest.mark.skipif(KERASFIX is None, reason="the kerasfix console script is not installed (pip install -e .)")
def test_a_closed_stdout_is_not_a_traceback(files) -> None:
    assert KERASFIX is not None
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `kerasfix … | head -0`: every write to stdout fails with EPIPE
    try:
        done = subprocess.run([KERASFIX, "check", "--json", str(files["broken"])], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr


# -- why nothing was written, and --no-verify ---------------------------------------------------------

CUSTOM = FIXTURES / "custom_layer_error" / "reshape_in_call.py"
FUNCTIONAL = FIXTURES / "rank_mismatch" / "functional_conv_no_channel.py"


def test_when_nothing_is_written_one_line_says_why_and_verbose_lists_what_was_tried(tmp_path, capsys) -> None:
    path = tmp_path / "custom.py"
    shutil.copyfile(CUSTOM, path)
    code, out, err = run(capsys, "apply", "-v", str(path))
    assert code == 1 and path.read_bytes() == CUSTOM.read_bytes()
    why = [line for line in out.splitlines() if line.startswith(f"{path}: nothing written: ")]
    assert why == [f"{path}: nothing written: kerasfix has no repair for this fault"]
    assert f"{path}: tried custom_layer_error: (no candidate) — rejected: kerasfix has no repair for this fault" in out


def test_rejected_candidates_travel_from_the_child_with_their_reasons(tmp_path) -> None:
    # Two valid paddings exist for the collapsing pools: both are tried; every rejected one says why.
    path = tmp_path / "pools.py"
    shutil.copyfile(FIXTURES / "spatial_too_small" / "too_many_pools.py", path)
    result = pipeline.process(str(path), pipeline.Options())
    assert result.status == "findings" and result.fixes
    assert all(r.reason and r.kind for r in result.rejected)


def test_no_verify_never_writes_an_unverified_fix(tmp_path, capsys) -> None:
    # The functional model fails to connect: its candidates can only be verified by re-running the script.
    path = tmp_path / "functional.py"
    shutil.copyfile(FUNCTIONAL, path)
    code, out, err = run(capsys, "apply", "--no-verify", str(path))
    assert code == 1 and path.read_bytes() == FUNCTIONAL.read_bytes()
    assert "--no-verify does not re-run the script to verify it" in out
    # A fix verified on the sample is written with --no-verify, marked as it is (never upgraded past it).
    safe = tmp_path / "cnn.py"
    shutil.copyfile(CNN, safe)
    code, out, err = run(capsys, "apply", "--no-verify", "--json", str(safe))
    doc = json.loads(out)
    assert code == 0 and safe.read_bytes() == CNN_FIXED.read_bytes()
    assert [f["verified"] for f in doc["files"][0]["fixes"]][0] is True
