"""False alarms: correct models must get no findings.

    python bench/false_alarms.py                    # every keras.applications model at 128x128, + the corpus
    python bench/false_alarms.py --size 0           # each model at its default input size (slower)
    python bench/false_alarms.py --models ResNet50,VGG16 --no-corpus

Part 1: every ``keras.applications`` architecture, built with ``weights=None, classes=10`` (in a fresh
child process each), on random images and integer labels 0..9 (every class present), through
``kerasfix.diagnose`` and ``kerasfix.suggest_fixes`` with loss "sparse_categorical_crossentropy".
Part 2: the correct corpus scripts (bench/corpus.py) through ``kerasfix check``
(``kerasfix.pipeline.process(path, Options())``). Every finding or fix is a false alarm.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import corpus  # noqa: E402
from repair_rate import header  # noqa: E402

#: Smallest input each architecture accepts (keras.applications' own checks); 32 otherwise.
MIN_SIZE = {"Xception": 71, "InceptionV3": 75, "InceptionResNetV2": 75}
ROWS = 10


def app_names() -> list[str]:
    import keras

    return sorted(n for n in dir(keras.applications) if n[:1].isupper() and callable(getattr(keras.applications, n)))


def one(name: str, size: int) -> dict:
    """In a fresh process: build ``name`` and run diagnose + suggest_fixes on it."""
    import keras
    import numpy as np

    from kerasfix import diagnose, suggest_fixes

    ctor = getattr(keras.applications, name)
    t0 = time.perf_counter()
    if size:
        size = max(size, MIN_SIZE.get(name, 32))
        model = ctor(weights=None, classes=10, input_shape=(size, size, 3))
    else:
        model = ctor(weights=None, classes=10)
    build = time.perf_counter() - t0
    shape = tuple(int(d) for d in model.input_shape[1:])
    rng = np.random.default_rng(0)
    x = rng.random((ROWS, *shape)).astype("float32")
    y = np.arange(ROWS) % 10
    loss = "sparse_categorical_crossentropy"
    t0 = time.perf_counter()
    diag = diagnose(model, x, y, loss=loss)
    t_diag = time.perf_counter() - t0
    t0 = time.perf_counter()
    fixes = suggest_fixes(model, x, y, loss=loss)
    t_fix = time.perf_counter() - t0
    return {
        "name": name, "input": list(shape), "layers": len(model.layers), "params": int(model.count_params()),
        "build_s": build, "diagnose_s": t_diag, "suggest_s": t_fix,
        "findings": [str(f) for f in diag.findings], "fixes": [f.summary for f in fixes],
    }


def run_one(name: str, size: int, timeout: float) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    try:
        proc = subprocess.run([sys.executable, __file__, "--one", name, "--size", str(size), "--out", out],
                              capture_output=True, text=True, timeout=timeout, env=corpus.child_env(),
                              stdin=subprocess.DEVNULL)
        if os.path.getsize(out):
            with open(out, encoding="utf-8") as f:
                return json.load(f)
        tail = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        return {"name": name, "error": tail[-1][:300] if tail else f"exit {proc.returncode}"}
    except subprocess.TimeoutExpired:
        return {"name": name, "error": f"timeout after {timeout:g} s"}
    finally:
        os.unlink(out)


def check_corpus(jobs: int) -> list[tuple[str, str, list[str]]]:
    from kerasfix.pipeline import Options, process

    with tempfile.TemporaryDirectory(prefix="kfbench-") as tmp:
        paths = []
        for s in corpus.SCRIPTS:
            p = Path(tmp) / f"{s.name}.py"
            p.write_text(s.text, encoding="utf-8")
            paths.append(str(p))
        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(lambda p: process(p, Options()), paths))
    return [(Path(r.path).stem, r.status + (f" ({r.message})" if r.message else ""), [str(f) for f in r.findings])
            for r in results]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", help="comma-separated keras.applications names (default: all)")
    p.add_argument("--size", type=int, default=128, help="square input size (0: each model's default; default 128)")
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--no-apps", action="store_true")
    p.add_argument("--no-corpus", action="store_true")
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--list", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv[1:])
    if args.list:
        print(",".join(app_names()))
        return 0
    if args.one:
        res = one(args.one, args.size)
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(res, fh)
        return 0
    print(header(argv), flush=True)
    alarms = 0
    errors = 0
    if not args.no_apps:
        names = [n.strip() for n in args.models.split(",")] if args.models else _names_in_child()
        print(f"\n## keras.applications, weights=None, classes=10, {ROWS} rows, "
              f"{'default input size' if not args.size else f'{args.size}x{args.size} input (or the minimum)'}")
        print(f"{'model':20} {'input':>13} {'layers':>6} {'params':>11} {'build s':>8} {'diagnose s':>10} "
              f"{'suggest s':>9} {'findings':>8} {'fixes':>5}")
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = [pool.submit(run_one, n, args.size, args.timeout) for n in names]
            for fut in futures:
                r = fut.result()
                if "error" in r:
                    errors += 1
                    print(f"{r['name']:20} ERROR {r['error']}", flush=True)
                    continue
                n_alarm = len(r["findings"]) + len(r["fixes"])
                alarms += n_alarm
                shape = "x".join(map(str, r["input"]))
                print(f"{r['name']:20} {shape:>13} {r['layers']:>6} {r['params']:>11,} {r['build_s']:>8.1f} "
                      f"{r['diagnose_s']:>10.1f} {r['suggest_s']:>9.1f} {len(r['findings']):>8} {len(r['fixes']):>5}",
                      flush=True)
                for f in r["findings"]:
                    print(f"    finding: {f[:300]}")
                for f in r["fixes"]:
                    print(f"    fix: {f[:300]}")
        print(f"{len(names)} models: {alarms} false findings/fixes, {errors} errors")
    if not args.no_corpus:
        print(f"\n## correct corpus scripts through `kerasfix check` ({len(corpus.SCRIPTS)} scripts)")
        corpus_alarms = 0
        not_clean = 0
        for name, status, findings in check_corpus(args.jobs):
            corpus_alarms += len(findings)
            not_clean += not status.startswith("clean")
            print(f"  {name:28} {status}")
            for f in findings:
                print(f"      {f[:300]}")
        print(f"{len(corpus.SCRIPTS)} scripts: {corpus_alarms} false findings, {not_clean} not clean")
        alarms += corpus_alarms
        errors += not_clean and not corpus_alarms
    print(f"\nFALSE ALARMS: {alarms} (target 0); errors: {errors}")
    return 0


def _names_in_child() -> list[str]:
    out = subprocess.run([sys.executable, __file__, "--list"], capture_output=True, text=True, env=corpus.child_env(),
                         check=True)
    return out.stdout.strip().splitlines()[-1].split(",")


if __name__ == "__main__":
    sys.exit(main())
