"""Repair rate: break the corpus scripts, let ``kerasfix apply`` repair them, check the repair.

    python bench/repair_rate.py                       # full run (~12 min on 2 cores)
    python bench/repair_rate.py --kinds drop_flatten,string_labels --limit 10
    python bench/repair_rate.py --per-kind 0 --pairs 60 --jobs 2

For every buggy variant from ``bench/corpus.py``: copy it to a temp dir, run
``kerasfix.pipeline.process(path, Options(write=True))`` (what ``kerasfix apply`` does), then

  found     every injected fault was reported with one of its accepted finding kinds;
  wrote     kerasfix wrote a (verified) fix into the file;
  runs      the written script runs its epoch: ``python script.py`` under bench/_fit_probe.py exits 0;
  intended  the repaired script trains what the correct script trains: same layers (class, params,
            key config, output shapes), same loss (one-hot + categorical == ids + sparse), same data
            (per-sample shapes, dtype kinds, value hashes); ``exact`` = byte-identical to the original;
  terms     the written fix is in the user's own terms ("as the user would write it", issue 14): no unit
            count or shape written as a number where the script had a name or an expression for it
            (``kerasfix.rewrite.terms.literal_over_expression``);
  repaired  found, wrote, runs and intended.

Prints a table per fault kind (single faults, then pairs), overall rates, and every failure with a
one-line reason. A variant is selected by ``--kinds`` when all its faults are listed.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import corpus  # noqa: E402

from kerasfix.pipeline import Options, process  # noqa: E402
from kerasfix.rewrite.terms import literal_over_expression  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ELEMENTWISE = {"Dropout", "Activation", "GaussianNoise", "GaussianDropout", "AlphaDropout"}
REDUCERS = {"Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
            "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"}


def header(argv: list[str]) -> str:
    """The command line, date and the code measured (git HEAD, dirty or not)."""
    from importlib.metadata import version

    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "kerasfix"], capture_output=True,
                               text=True).stdout.strip()
    except OSError:
        head, dirty = "?", ""
    cmd = " ".join(["python", *[os.path.relpath(a, ROOT) if a.endswith(".py") else a for a in argv]])
    return (f"$ {cmd}\n# {datetime.datetime.now().isoformat(timespec='seconds')}  kerasfix @ {head}"
            f"{' (+uncommitted changes in kerasfix/)' if dirty else ''}  keras {version('keras')}"
            f"  tensorflow {version('tensorflow')}  python {sys.version.split()[0]}  cpus {os.cpu_count()}")


@dataclass
class Outcome:
    variant: corpus.Variant
    found: bool
    wrote: bool
    runs: bool
    intended: bool
    exact: bool
    reason: str
    seconds: float
    kinds: tuple[str, ...]
    #: The written fix is in the user's own terms: no size written as a number where the script had an expression.
    terms: bool = False


def compare(orig: dict, fixed: dict, loose: frozenset[str]) -> list[str]:
    """The parts of the fingerprint that differ (empty: the intended repair)."""

    def norm(fp: dict) -> dict:
        fp = {k: v for k, v in fp.items()}
        rows = [list(r) for r in fp["model"]]
        for i in range(len(rows) - 1):  # an element-wise layer commutes with Flatten
            if rows[i][0] in ELEMENTWISE and rows[i + 1][0] == "Flatten":
                rows[i], rows[i + 1] = rows[i + 1], rows[i]
        fp["model"] = [r[:3] + [None] if r[0] in ELEMENTWISE else r for r in rows]
        if "reducer" in loose:  # Flatten / global pooling are interchangeable; what follows may change size
            seen = False
            rows = []
            for r in fp["model"]:
                seen = seen or r[0] in REDUCERS
                rows.append(["Reducer", None, {}, None] if r[0] in REDUCERS else (r[:1] + [None, r[2], None] if seen else r))
            fp["model"] = rows
        if "reshape" in loose:  # a Reshape layer may stand in for a reshaped array
            fp["model"] = [row for row in fp["model"] if row[0] != "Reshape"]
            fp["x"] = [[math.prod(shape), kind, digest] for shape, kind, digest in fp["x"]]
        if "xvalues" in loose:
            fp["x"] = [[shape, kind, None] for shape, kind, _ in fp["x"]]
        return fp

    a, b = norm(orig), norm(fixed)
    out = []
    for part in ("model", "loss", "x", "y"):
        if a.get(part) != b.get(part):
            out.append(part)
    return out


def _describe(orig: dict, fixed: dict, parts: list[str]) -> str:
    bits = []
    for part in parts:
        if part == "model":
            la, lb = orig["model"], fixed["model"]
            if len(la) != len(lb):
                bits.append(f"layers {[r[0] for r in la]} -> {[r[0] for r in lb]}")
            else:
                diff = next((f"{ra[0]} {ra[2]}/{ra[3]} -> {rb[2]}/{rb[3]}" for ra, rb in zip(la, lb, strict=True)
                             if ra != rb), "")
                bits.append(f"layer {diff}")
        else:
            bits.append(f"{part} {orig[part]} -> {fixed[part]}")
    return "; ".join(bits)


def _diff_lines(before: str, after: str, n: int = 3) -> str:
    lines = [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
             if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return " | ".join(ln.strip() for ln in lines[:n]) + (" | …" if len(lines) > n else "")


def evaluate(v: corpus.Variant, workdir: Path, orig: dict | None) -> Outcome:
    started = time.monotonic()
    path = workdir / f"{v.id}.py"
    path.write_text(v.text, encoding="utf-8")
    try:
        result = process(str(path), Options(write=True))
    except Exception as exc:  # kerasfix's own bug: process() promises never to raise
        return Outcome(v, False, False, False, False, False, f"process() raised {type(exc).__name__}: {exc}",
                       time.monotonic() - started, ())
    # Reported = a finding, or the finding a proposed fix (or one step of a combined fix) repairs:
    # a second fault is often visible only once the first is repaired.
    reported = {f.kind for f in result.findings}
    for fix in (*result.fixes, *result.applied):
        reported.add(fix.finding.kind)
        reported.update(step.finding.kind for step in fix.steps)
    kinds = tuple(sorted(reported))
    found = all(any(k in f.kinds for k in kinds) for f in v.faults)
    wrote = result.status == "fixed"
    after = path.read_text(encoding="utf-8")
    exact = after == v.script.text
    runs = intended = False
    reason = ""
    if not found:
        reason = f"not found: reported {list(kinds) or 'nothing'} ({result.status}{': ' + result.message if result.message else ''})"
    if wrote:
        run = corpus.run_probe(str(path))
        runs = run.code == 0 and run.fingerprint is not None
        if not runs:
            reason = reason or f"fixed script fails: {run.error}"
        elif orig is None:
            reason = reason or "correct script did not train (no reference)"
        else:
            parts = compare(orig, run.fingerprint, v.loose)
            intended = not parts
            if parts and not reason:
                reason = f"not the intended repair: {_describe(orig, run.fingerprint, parts)}  [{_diff_lines(v.text, after)}]"
    elif not reason:
        msg = result.message or f"status {result.status}"
        reason = f"nothing written: {msg.replace(str(path) + ': ', '')}"
    terms = wrote and not literal_over_expression(v.text, after)
    return Outcome(v, found, wrote, runs, intended, exact, reason[:400], time.monotonic() - started, kinds, terms)


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}" if d else "    -"


def table(rows: list[tuple[str, list[Outcome]]]) -> str:
    w = max(len(name) for name, _ in rows)
    head = f"{'fault kind':<{w}}  {'n':>3}  {'found%':>6}  {'wrote%':>6}  {'runs%':>6}  {'intended%':>9}  {'exact%':>6}  {'terms%':>6}  {'REPAIRED%':>9}"
    out = [head, "-" * len(head)]
    for name, os_ in rows:
        n = len(os_)

        def c(attr: str, os_: list[Outcome] = os_) -> int:
            return sum(getattr(o, attr) for o in os_)

        ok = sum(o.found and o.wrote and o.runs and o.intended for o in os_)
        out.append(f"{name:<{w}}  {n:>3}  {_pct(c('found'), n):>6}  {_pct(c('wrote'), n):>6}  {_pct(c('runs'), n):>6}  "
                   f"{_pct(c('intended'), n):>9}  {_pct(c('exact'), n):>6}  {_pct(c('terms'), n):>6}  {_pct(ok, n):>9}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kinds", help="comma-separated fault names (see bench/corpus.py); default all")
    p.add_argument("--limit", type=int, default=0, help="at most N variants (0: all)")
    p.add_argument("--per-kind", type=int, default=6, help="scripts per single fault (0: all; default 6)")
    p.add_argument("--pairs", type=int, default=30, help="two-fault variants (default 30)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="variants processed at once (default 2)")
    p.add_argument("--keep", metavar="DIR", help="keep the repaired scripts in DIR")
    args = p.parse_args(argv[1:])
    print(header(argv), flush=True)

    vs = corpus.variants(args.per_kind, args.pairs)
    if args.kinds:
        wanted = {k.strip() for k in args.kinds.split(",") if k.strip()}
        unknown = wanted - set(corpus.FAULTS_BY_NAME)
        if unknown:
            p.error(f"unknown fault kinds: {', '.join(sorted(unknown))}")
        vs = [v for v in vs if all(f.name in wanted for f in v.faults)]
    if args.limit:
        vs = vs[: args.limit]
    if not vs:
        print("no variants selected")
        return 1
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kfbench-"))
    (tmp / "correct").mkdir(parents=True, exist_ok=True)
    (tmp / "work").mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        scripts = sorted({v.script.name: v.script for v in vs}.values(), key=lambda s: s.name)
        for s in scripts:
            (tmp / "correct" / f"{s.name}.py").write_text(s.text, encoding="utf-8")
        print(f"# {len(vs)} buggy variants of {len(scripts)} correct scripts, {args.jobs} at a time", flush=True)
        with ThreadPoolExecutor(args.jobs) as pool:
            refs = dict(zip([s.name for s in scripts],
                            pool.map(lambda s: corpus.run_probe(str(tmp / "correct" / f"{s.name}.py")), scripts),
                            strict=True))
            for name, r in refs.items():
                if r.code != 0:
                    print(f"# WARNING: correct script {name} does not train: {r.error}")
            outcomes: list[Outcome] = []
            futures = [pool.submit(evaluate, v, tmp / "work", refs[v.script.name].fingerprint) for v in vs]
            for i, fut in enumerate(futures, 1):
                o = fut.result()
                outcomes.append(o)
                mark = "ok  " if o.found and o.wrote and o.runs and o.intended else "FAIL"
                print(f"[{i:3}/{len(vs)}] {mark} {o.seconds:5.1f}s {o.variant.id}", file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    singles = [o for o in outcomes if len(o.variant.faults) == 1]
    doubles = [o for o in outcomes if len(o.variant.faults) > 1]
    rows: list[tuple[str, list[Outcome]]] = []
    for f in corpus.FAULTS:
        group = [o for o in singles if o.variant.faults[0].name == f.name]
        if group:
            rows.append((f.name, group))
    if singles:
        rows.append(("ALL single faults", singles))
    pair_kinds = sorted({o.variant.kind for o in doubles})
    for k in pair_kinds:
        rows.append((k, [o for o in doubles if o.variant.kind == k]))
    if doubles:
        rows.append(("ALL two-fault variants", doubles))
    rows.append(("OVERALL", outcomes))
    print()
    print(table(rows))
    # Per injected fault, pairs included: every variant that contains it.
    print()
    per_fault = [(f.name, [o for o in outcomes if f in o.variant.faults]) for f in corpus.FAULTS]
    print("per fault kind, single and paired variants together:")
    print(table([(n, g) for n, g in per_fault if g]))
    ok = sum(o.found and o.wrote and o.runs and o.intended for o in outcomes)
    worst = min(((sum(o.found and o.wrote and o.runs and o.intended for o in g) / len(g), n)
                 for n, g in per_fault if g), default=(1.0, "-"))
    print(f"\nrepair rate {100 * ok / len(outcomes):.1f}% ({ok}/{len(outcomes)}; target >= 95%); "
          f"lowest kind {worst[1]} {100 * worst[0]:.1f}% (target >= 85%); "
          f"{time.monotonic() - started:.0f} s wall")
    written = [o for o in outcomes if o.wrote]
    kept = sum(o.terms for o in written)
    print(f"as the user would write it: {kept}/{len(written)} written fixes keep the script's own terms"
          + "".join(f"\n  not: {o.variant.id}" for o in written if not o.terms))
    fails = [o for o in outcomes if not (o.found and o.wrote and o.runs and o.intended)]
    if fails:
        print(f"\nfailures ({len(fails)}):")
        for o in fails:
            print(f"  {o.variant.id}: {o.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
