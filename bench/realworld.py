"""Judge kerasfix on the hand-written corpus in ``bench/realworld/``.

    python bench/realworld.py [--only PATTERN] [--jobs N] [--json OUT.json]
    python bench/realworld.py --validate [--only PATTERN] [--jobs N]

For each program ``bench/realworld/<family>/<name>.py`` (``*.repaired.py`` are references, never run here
except by ``--validate``): copy it alone into a temp dir, run ``python -m kerasfix apply --json <copy>``
there (the environment is passed through, so ``PYTHONPATH`` picks the kerasfix under test), then run the
(possibly rewritten) copy with plain python under ``bench/_realworld_probe.py``, which records what each
``fit`` trained and whether the program ran to its end, and compare that with ``<name>.intended.json``.

Buggy programs are classified as
  not found            kerasfix reported nothing (or only an error: it could not run the program)
  found                kerasfix reported a finding but wrote nothing
  as intended          it wrote a fix, the program runs to its end, and the intended facts hold
  other fix that trains  it wrote a fix and the program runs to its end, but the facts do not hold
  wrong                it wrote a fix and the program then fails (or it said fixed and the program fails)
Correct programs (family ``clean``): clean (no finding, file unchanged) or false alarm.

``--validate`` checks the corpus itself instead (no kerasfix): each buggy program behaves as its JSON says
(crashes at ``crash_line``, or runs to its end when silent), its intended facts do NOT hold on the buggy
program, and its ``.repaired.py`` runs to its end with the facts holding; clean programs run to their end.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import difflib
import fnmatch
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

from kerasfix.rewrite.terms import literal_over_expression, named_sizes

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "realworld")
PROBE = os.path.join(HERE, "_realworld_probe.py")
KERASFIX_TIMEOUT = 1200   # the whole `kerasfix apply` (it has its own per-run timeout inside)
RUN_TIMEOUT = 900         # one plain run of a program under the probe

CLASSES = ["not found", "found", "as intended", "other fix that trains", "wrong"]
CLEAN_CLASSES = ["clean", "false alarm"]
CE = {"categorical_crossentropy", "sparse_categorical_crossentropy"}


# ---------------------------------------------------------------- corpus

def programs(only: str | None, corpus: str = CORPUS):
    out = []
    for family in sorted(os.listdir(corpus)):
        fdir = os.path.join(corpus, family)
        if not os.path.isdir(fdir):
            continue
        for fn in sorted(os.listdir(fdir)):
            if not fn.endswith(".py") or fn.endswith(".repaired.py"):
                continue
            key = f"{family}/{fn[:-3]}"
            if only and not (fnmatch.fnmatch(key, only) if any(c in only for c in "*?[") else only in key):
                continue
            spec_path = os.path.join(fdir, fn[:-3] + ".intended.json")
            with open(spec_path, encoding="utf-8") as fh:
                spec = json.load(fh)
            out.append({"key": key, "family": family, "path": os.path.join(fdir, fn), "spec": spec})
    return out


# ---------------------------------------------------------------- facts

def _norm(v):
    if isinstance(v, tuple):
        return [_norm(x) for x in v]
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def _match(want, got, key=None) -> bool:
    if isinstance(want, dict) and "any_of" in want:
        return any(_match(w, got, key) for w in want["any_of"])
    got = _norm(got)
    if key == "activation":
        return (want or "linear") == (got or "linear")
    if key in ("kernel_size", "strides", "pool_size") and isinstance(want, int):
        return isinstance(got, list) and len(got) > 0 and all(g == want for g in got)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_match(w, g) for w, g in zip(want, got, strict=False))
    return want == got


def _layer_matches(item: dict, row: dict, logits: dict | None = None) -> bool:
    """``logits``: output layer name -> the activation its from_logits loss stands for (softmax/sigmoid)."""
    for k, want in item.items():
        if k == "activation" and logits and row.get("name") in logits \
                and (row.get("config", {}).get("activation") or "linear") == "linear":
            wants = want["any_of"] if isinstance(want, dict) and "any_of" in want else [want]
            if logits[row["name"]] in wants:
                continue
        if k == "class":
            got = row["class"]
        elif k in ("name", "input_shape", "output_shape", "weights"):
            got = row.get(k)
        else:
            got = row.get("config", {}).get(k, None)
            if got is None and k not in row.get("config", {}):
                return False
        if not _match(want, got, k):
            return False
    return True


def _fmt_item(item: dict) -> str:
    cls = item.get("class")
    cls = "|".join(cls["any_of"]) if isinstance(cls, dict) else cls
    args = ", ".join(f"{k}={json.dumps(v)}" for k, v in item.items() if k != "class")
    return f"{cls}({args})"


def _fmt_row(row: dict) -> str:
    cfg = row.get("config", {})
    keys = [k for k in ("units", "filters", "activation", "return_sequences", "target_shape") if k in cfg]
    return f"{row['class']}(" + ", ".join(f"{k}={cfg[k]}" for k in keys) + ")"


def _per_output(want, got: dict | None, what: str, cmp, problems: list, show=lambda g: g):
    got = got or {}
    if isinstance(want, dict) and "any_of" not in want:
        for name, w in want.items():
            if name not in got:
                problems.append(f"{what}: no output named {name!r} (outputs: {sorted(got)})")
            elif not cmp(w, got[name], name):
                problems.append(f"{what}[{name}]: want {json.dumps(w)}, got {json.dumps(show(got[name]))}")
    else:
        if not got:
            problems.append(f"{what}: nothing recorded")
        for name, g in got.items():
            if not cmp(want, g, name):
                problems.append(f"{what}{'[' + name + ']' if name else ''}: want {json.dumps(want)}, "
                                f"got {json.dumps(show(g))}")


def check_facts(intended: dict, probe: dict) -> list[str]:
    """The intended facts that do not hold on the probe record ([] = all hold)."""
    fits = probe.get("fits") or []
    if not fits:
        return ["no fit call was recorded"]
    fit = fits[0]
    problems: list[str] = []
    rows = fit.get("layers") or []
    losses = {k: (v or {}) for k, v in (fit.get("loss") or {}).items()}
    outputs = fit.get("outputs") or {}
    # a linear output layer under a from_logits loss counts as the activation the loss implies
    logits = {}
    for name, o in outputs.items():
        lo = losses.get(name) or (next(iter(losses.values())) if len(losses) == 1 else {})
        if lo.get("from_logits") and o.get("layer_name"):
            implied = "softmax" if lo.get("name") in CE else "sigmoid" if lo.get("name") == "binary_crossentropy" else None
            if implied:
                logits[o["layer_name"]] = implied
    # layers: an ordered subsequence
    want_layers = intended.get("layers") or []
    i = 0
    for item in want_layers:
        while i < len(rows) and not _layer_matches(item, rows[i], logits):
            i += 1
        if i == len(rows):
            problems.append(f"layers: no {_fmt_item(item)} in order; model: " + " > ".join(_fmt_row(r) for r in rows))
            break
        i += 1
    for cls in intended.get("absent") or []:
        if any(r["class"] == cls for r in rows):
            problems.append(f"absent: the model has a {cls}")

    def loss_cmp(want, got, _name):
        name = got.get("name")
        if isinstance(want, dict) and "any_of" in want:
            return any(loss_cmp(w, got, _name) for w in want["any_of"])
        return name == want or (want in CE and name in CE)

    if "loss" in intended:
        _per_output(intended["loss"], losses, "loss", loss_cmp, problems,
                    lambda g: g.get("name") + (" (from_logits)" if g.get("from_logits") else ""))

    def act_cmp(want, got, name):
        act = got.get("activation")
        if _match(want, act, "activation"):
            return True
        lo = losses.get(name) or (next(iter(losses.values())) if len(losses) == 1 else {})
        if (act or "linear") == "linear" and lo.get("from_logits"):
            wants = want["any_of"] if isinstance(want, dict) else [want]
            return ("softmax" in wants and lo.get("name") in CE) or \
                   ("sigmoid" in wants and lo.get("name") == "binary_crossentropy")
        return False

    if "output_activation" in intended:
        _per_output(intended["output_activation"], outputs, "output_activation", act_cmp, problems,
                    lambda g: g.get("activation"))
    if "output_shape" in intended:
        _per_output(intended["output_shape"], outputs, "output_shape",
                    lambda w, g, _n: _match(w, g.get("shape")), problems, lambda g: g.get("shape"))
    data = intended.get("data") or {}
    for key, want in data.items():
        side, attr = key.split("_", 1)          # x_shape, y_dtype, x_finite ...
        info = fit.get(side)
        if not isinstance(info, dict) or "shape" not in info:
            problems.append(f"data.{key}: {side} not recorded as one array ({str(info)[:80]})")
            continue
        got = info.get(attr)
        if not _match(want, got):
            problems.append(f"data.{key}: want {json.dumps(want)}, got {json.dumps(got)}")
    if "metrics_absent" in intended:
        names = set(_flat_names(fit.get("metrics")))
        for m in intended["metrics_absent"]:
            if m in names:
                problems.append(f"metrics_absent: compile still has metric {m!r}")
    return problems


def _flat_names(v):
    if isinstance(v, dict):
        return [x for k in v for x in _flat_names(v[k])]
    if isinstance(v, list):
        return [x for e in v for x in _flat_names(e)]
    return [v] if isinstance(v, str) else []


# ---------------------------------------------------------------- running

def _env():
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_probe(path: str, cwd: str) -> dict:
    out = os.path.join(cwd, ".probe.json")
    if os.path.exists(out):
        os.remove(out)
    t0 = time.time()
    try:
        p = subprocess.run([sys.executable, PROBE, path, out], cwd=cwd, env=_env(), capture_output=True,
                           text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        rc, tail = p.returncode, p.stderr.strip().splitlines()[-1:] if p.stderr.strip() else []
    except subprocess.TimeoutExpired:
        rc, tail = None, ["timed out"]
    rec = {}
    if os.path.exists(out):
        with open(out, encoding="utf-8") as fh:
            rec = json.load(fh)
    rec.setdefault("ended", False)
    rec["rc"] = rc
    rec["seconds"] = round(time.time() - t0, 1)
    if not rec["ended"] and not rec.get("error"):
        rec["error"] = {"type": "?", "message": tail[0] if tail else f"exit {rc}", "line": None}
    return rec


def run_kerasfix(path: str, cwd: str) -> dict:
    t0 = time.time()
    cmd = [sys.executable, "-m", "kerasfix", "apply", "--json", path]
    try:
        p = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=KERASFIX_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        rc, out, err = None, "", "kerasfix timed out"
    res = {"rc": rc, "seconds": round(time.time() - t0, 1), "findings": None, "applied": [], "status": None,
           "message": None, "stderr": [ln for ln in err.strip().splitlines() if ln.strip()][-3:]}
    try:
        data = json.loads(out)
        f = data["files"][0]
        res["status"], res["message"] = f.get("status"), f.get("message")
        res["findings"] = [x.get("kind") for x in f.get("findings") or []]
        res["applied"] = list(f.get("applied") or [])
        res["held"] = list(f.get("held") or [])
    except Exception:
        pass
    return res


def judge_one(prog: dict) -> dict:
    spec = prog["spec"]
    tmp = tempfile.mkdtemp(prefix="rw_")
    name = os.path.basename(prog["path"])
    copy = os.path.join(tmp, name)
    shutil.copyfile(prog["path"], copy)
    with open(copy, "rb") as fh:
        before = fh.read()
    kf = run_kerasfix(copy, tmp)
    with open(copy, "rb") as fh:
        after = fh.read()
    wrote = hashlib.sha256(before).digest() != hashlib.sha256(after).digest()
    diff = "".join(difflib.unified_diff(before.decode("utf-8", "replace").splitlines(True),
                                        after.decode("utf-8", "replace").splitlines(True), "a/" + name, "b/" + name))
    findings = kf["findings"]
    n_found = len(findings) if findings is not None else (1 if kf["rc"] == 1 else 0)
    res = {"key": prog["key"], "family": prog["family"], "behaviour": spec.get("behaviour"), "kerasfix": kf,
           "wrote": wrote, "diff": diff, "probe": None}
    # In the user's own terms (issue 14): sizes the program writes as names or expressions, and those a
    # written fix turned into bare numbers.
    text_before, text_after = before.decode("utf-8", "replace"), after.decode("utf-8", "replace")
    res["named_sizes"] = named_sizes(text_before)
    res["terms_lost"] = literal_over_expression(text_before, text_after) if wrote else []
    kf_said = f"kerasfix exit {kf['rc']}" + (f" [{', '.join(findings)}]" if findings else "")
    if spec.get("behaviour") == "clean":
        if n_found == 0 and not wrote and kf["rc"] == 0:
            res["class"], res["reason"] = "clean", ""
        elif kf["rc"] == 2 or kf["rc"] is None:
            res["class"], res["reason"] = "false alarm", f"could not run it: {_kf_message(kf)}"
        else:
            res["class"] = "false alarm"
            res["reason"] = f"{kf_said}" + (f"; wrote: {_diff_summary(diff)}" if wrote else "")
        shutil.rmtree(tmp, ignore_errors=True)
        return res
    if not wrote:
        if n_found and kf["rc"] != 2:
            res["class"] = "found"
            res["reason"] = f"{kf_said}, wrote nothing" + (f": {_kf_message(kf)}" if _kf_message(kf) else "")
        else:
            res["class"] = "not found"
            res["reason"] = f"kerasfix exit {kf['rc']}: {_kf_message(kf) or 'no finding'}"
        if kf["status"] == "fixed":  # said fixed, changed nothing: does the program run?
            probe = run_probe(copy, tmp)
            res["probe"] = probe
            if not probe["ended"]:
                res["class"], res["reason"] = "wrong", f"kerasfix said fixed (unchanged file); {_err(probe)}"
        shutil.rmtree(tmp, ignore_errors=True)
        return res
    probe = run_probe(copy, tmp)
    res["probe"] = probe
    if not probe["ended"]:
        res["class"], res["reason"] = "wrong", f"after [{_diff_summary(diff)}]: {_err(probe)}"
    else:
        problems = check_facts(spec.get("intended") or {}, probe)
        res["facts"] = problems
        if problems:
            res["class"], res["reason"] = "other fix that trains", f"[{_diff_summary(diff)}] {problems[0]}"
        else:
            res["class"], res["reason"] = "as intended", ""
    shutil.rmtree(tmp, ignore_errors=True)
    return res


def _kf_message(kf) -> str:
    m = kf.get("message") or ""
    if not m and kf.get("stderr"):
        m = " ".join(kf["stderr"])
    return " ".join(m.split())[:220]


def _err(probe) -> str:
    e = probe.get("error") or {}
    return f"{e.get('type')} at line {e.get('line')}: {(e.get('message') or '')[:160]}"


def _diff_summary(diff: str) -> str:
    plus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    minus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    s = " | ".join([f"-{m}" for m in minus[:2]] + [f"+{p}" for p in plus[:3]])
    return s[:200] + ("…" if len(s) > 200 else "")


# ---------------------------------------------------------------- validate the corpus itself

def validate_one(prog: dict) -> dict:
    spec = prog["spec"]
    problems = []
    tmp = tempfile.mkdtemp(prefix="rwv_")
    copy = os.path.join(tmp, os.path.basename(prog["path"]))
    shutil.copyfile(prog["path"], copy)
    probe = run_probe(copy, tmp)
    beh = spec.get("behaviour")
    if beh in ("clean", "silent"):
        if not probe["ended"]:
            problems.append(f"{beh} program does not run to its end: {_err(probe)}")
    elif beh == "crash":
        if probe["ended"]:
            problems.append("crash program runs to its end")
        elif (probe.get("error") or {}).get("line") != spec.get("crash_line"):
            problems.append(f"crashes at line {(probe.get('error') or {}).get('line')}, JSON says {spec.get('crash_line')}")
    else:
        problems.append(f"unknown behaviour {beh!r}")
    facts_on_buggy = None
    if beh != "clean":
        facts_on_buggy = check_facts(spec.get("intended") or {}, probe) if probe["ended"] or probe.get("fits") else ["-"]
        if probe["ended"] and not facts_on_buggy:
            problems.append("the intended facts already hold on the buggy program")
        rep = prog["path"][:-3] + ".repaired.py"
        if not os.path.exists(rep):
            problems.append("no .repaired.py")
        else:
            rcopy = os.path.join(tmp, os.path.basename(rep))
            shutil.copyfile(rep, rcopy)
            rprobe = run_probe(rcopy, tmp)
            if not rprobe["ended"]:
                problems.append(f"repaired copy fails: {_err(rprobe)}")
            else:
                for p in check_facts(spec.get("intended") or {}, rprobe):
                    problems.append(f"repaired copy misses a fact: {p}")
    shutil.rmtree(tmp, ignore_errors=True)
    err = probe.get("error") or {}
    return {"key": prog["key"], "behaviour": beh, "problems": problems, "seconds": probe["seconds"],
            "observed": "ran to end" if probe["ended"] else f"{err.get('type')} at line {err.get('line')}: "
                                                             f"{(err.get('message') or '')[:120]}",
            "buggy_misses": (facts_on_buggy or [""])[0][:120] if facts_on_buggy else ""}


# ---------------------------------------------------------------- output

def header(argv) -> list[str]:
    def git(*args, cwd=None):
        try:
            return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:
            return "?"

    for _attempt in range(3):  # the versions are the record's provenance: a transient failure is retried, then said
        probe = subprocess.run([sys.executable, "-c",
                                "import kerasfix, keras, tensorflow as tf; print(kerasfix.__file__); "
                                "print(keras.__version__); print(tf.__version__)"],
                               env=_env(), capture_output=True, text=True, timeout=300,
                               cwd=tempfile.mkdtemp(prefix="rw_"))  # as kerasfix is run: from a temp dir
        if probe.returncode == 0:
            break
    else:
        print(f"# version probe failed ({probe.returncode}): {probe.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    lines = (probe.stdout.strip().splitlines() + ["?", "?", "?"])[:3]
    kf_file, kv, tv = lines
    kf_dir = os.path.dirname(os.path.dirname(kf_file)) if kf_file != "?" else None
    bench_commit = git("rev-parse", "--short", "HEAD", cwd=HERE)
    kf_commit = git("rev-parse", "--short", "HEAD", cwd=kf_dir) if kf_dir else "?"
    kf_dirty = git("status", "--porcelain", "--", "kerasfix", cwd=kf_dir) if kf_dir else ""
    return [
        f"$ {' '.join(['python', os.path.relpath(__file__)] + list(argv))}",
        f"# {dt.datetime.now().isoformat(timespec='seconds')}  commit {bench_commit}  "
        f"kerasfix @ {kf_commit}{' (modified)' if kf_dirty else ''}  keras {kv}  tensorflow {tv}  "
        f"python {platform.python_version()}  cpus {os.cpu_count()}",
        f"# kerasfix used: {kf_file}",
        f"# PYTHONPATH={os.environ.get('PYTHONPATH', '')}",
    ]


def table(results: list[dict]) -> list[str]:
    out = []
    buggy = [r for r in results if r["behaviour"] != "clean"]
    clean = [r for r in results if r["behaviour"] == "clean"]
    fams = sorted({r["family"] for r in buggy})
    w = 22
    head = f"{'family':<{w}} {'n':>3}  {'not found':>9} {'found':>5} {'as intended':>11} {'other fix':>9} {'wrong':>5}   {'intended%':>9}"
    out += [head, "-" * len(head)]

    def row(label, rs):
        c = {k: sum(r["class"] == k for r in rs) for k in CLASSES}
        pct = 100.0 * c["as intended"] / len(rs) if rs else 0.0
        return (f"{label:<{w}} {len(rs):>3}  {c['not found']:>9} {c['found']:>5} {c['as intended']:>11} "
                f"{c['other fix that trains']:>9} {c['wrong']:>5}   {pct:>8.1f}%")

    for f in fams:
        out.append(row(f, [r for r in buggy if r["family"] == f]))
    out.append("-" * len(head))
    for beh in ("crash", "silent"):
        rs = [r for r in buggy if r["behaviour"] == beh]
        if rs:
            out.append(row(f"ALL {beh}", rs))
    out.append(row("ALL buggy", buggy))
    if clean:
        n_clean = sum(r["class"] == "clean" for r in clean)
        out += ["", f"{'clean programs':<{w}} {len(clean):>3}  clean {n_clean}   false alarm {len(clean) - n_clean}"]
    written = [r for r in buggy if r["wrote"]]
    named = [r for r in written if r.get("named_sizes")]
    kept = [r for r in written if not r.get("terms_lost")]
    out += ["", f"as the user would write it: {len(kept)}/{len(written)} written fixes keep the program's own terms "
                f"({len(named)} of them in programs that write some size as a name or an expression)"]
    out += [f"  not: {r['key']}: {'; '.join(r['terms_lost'])}" for r in written if r.get("terms_lost")]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="substring of (or glob on) 'family/name'")
    ap.add_argument("--jobs", type=int, default=1, help="programs judged at once (default 1)")
    ap.add_argument("--json", dest="json_out", help="also write every result (diffs, probe records) to this file")
    ap.add_argument("--validate", action="store_true", help="check the corpus itself (no kerasfix)")
    ap.add_argument("--corpus", default=CORPUS, help="another corpus folder laid out the same way (for testing the judge)")
    args = ap.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)

    progs = programs(args.only, args.corpus)
    if not progs:
        print("no program matches", file=sys.stderr)
        return 2
    for line in header(argv):
        print(line, flush=True)
    n_buggy = sum(p["spec"].get("behaviour") != "clean" for p in progs)
    print(f"# {len(progs)} programs: {n_buggy} buggy, {len(progs) - n_buggy} clean; jobs {args.jobs}", flush=True)
    print(flush=True)
    t0 = time.time()
    work = validate_one if args.validate else judge_one
    results = []
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futs = {pool.submit(work, p): p for p in progs}
        for fut in cf.as_completed(futs):
            r = fut.result()
            results.append(r)
            if args.validate:
                status = "ok" if not r["problems"] else "PROBLEM"
                print(f"  {status:<7} {r['key']:<52} {r['behaviour']:<6} {r['observed'][:90]}", flush=True)
                for p in r["problems"]:
                    print(f"          - {p}", flush=True)
            else:
                kf = r["kerasfix"]
                print(f"  {r['class']:<21} {r['key']:<52} kerasfix exit {kf['rc']} in {kf['seconds']}s", flush=True)
    results.sort(key=lambda r: r["key"])
    print()
    if args.validate:
        bad = [r for r in results if r["problems"]]
        print(f"validated {len(results)} programs, {len(bad)} with problems ({time.time() - t0:.0f} s wall)")
        return 1 if bad else 0
    for line in table(results):
        print(line)
    print(f"\n{time.time() - t0:.0f} s wall")
    others = [r for r in results if r["class"] not in ("as intended", "clean")]
    if others:
        print(f"\nnot as intended ({len(others)}):")
        for r in others:
            print(f"  {r['key']} [{r['behaviour']}] {r['class']}: {r['reason']}")
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
