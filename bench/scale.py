"""How diagnose / suggest_fixes scale with the model: time and peak memory against building the model.

    python bench/scale.py                                   # Dense stacks 10/100/1000 + two big applications
    python bench/scale.py --depths 10,100 --apps none
    python bench/scale.py --apps EfficientNetB7,ConvNeXtXLarge,NASNetLarge --app-size 0   # default input sizes

Every measurement runs in a fresh child process, one at a time: import, build the model (timed, RSS
measured), then run ONE of ``diagnose`` / ``suggest_fixes`` (timed; peak RSS from getrusage). Both ops
see a fault at the very end of the model, so the whole model is walked and the planner has work:

* Dense stacks: ``Input(16) -> Dense(16) x N -> Dense(5, softmax)`` with 10 classes (too few units);
* applications: ``weights=None, classes=10`` with labels 0..11 (two classes more than units).

A measurement that passes ``--max-gib`` of resident memory (default 16 of the machine's 24) or
``--timeout`` is killed and reported as such.

Columns: build s; op s; op/build; op ms per layer (linear growth = a flat column); RSS grown by the
build; peak RSS grown by the op; their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import corpus  # noqa: E402
from repair_rate import header  # noqa: E402


def _rss_mb() -> float:
    """Current resident set size (Linux), MiB."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(model_spec: str, op: str, size: int, rows: int) -> dict:
    import keras
    import numpy as np

    from kerasfix import diagnose, suggest_fixes

    # Keras itself recurses once per layer when it builds a Sequential (ops/function.py _build_map):
    # 1000 layers exceed Python's default limit of 1000 frames before kerasfix is involved.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    rng = np.random.default_rng(0)
    base = _rss_mb()
    t0 = time.perf_counter()
    if model_spec.startswith("dense"):
        depth = int(model_spec[5:])
        model = keras.Sequential([keras.Input(shape=(16,))] + [keras.layers.Dense(16, activation="relu")
                                                                 for _ in range(depth)]
                                 + [keras.layers.Dense(5, activation="softmax")])
        x = rng.random((64, 16)).astype("float32")
        y = np.arange(64) % 10
    else:
        ctor = getattr(keras.applications, model_spec)
        kwargs = {"input_shape": (size, size, 3)} if size else {}
        model = ctor(weights=None, classes=10, **kwargs)
        shape = tuple(int(d) for d in model.input_shape[1:])
        x = rng.random((rows, *shape)).astype("float32")
        y = np.arange(rows) % 12
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    build = time.perf_counter() - t0
    after_build = _rss_mb()
    peak_build = _peak_mb()
    fn = diagnose if op == "diagnose" else suggest_fixes
    t0 = time.perf_counter()
    res = fn(model, x, y)
    took = time.perf_counter() - t0
    kinds = [f.kind for f in res.findings] if op == "diagnose" else [f.finding.kind for f in res]
    return {
        "model": model_spec, "op": op, "layers": len(model.layers), "params": int(model.count_params()),
        "input": list(x.shape[1:]), "build_s": build, "op_s": took,
        "build_mb": after_build - base, "op_peak_mb": max(0.0, _peak_mb() - max(peak_build, after_build)),
        "peak_mb": _peak_mb(), "result": kinds[:3],
        "fix": (res[0].summary if op == "suggest" and res else ""),
        "verified": bool(op == "suggest" and res and res[0].verified),
    }


def _child_rss_gib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def measure(spec: str, op: str, size: int, rows: int, timeout: float, max_gib: float) -> dict:
    """One child process; killed (and reported) past ``timeout`` or ``max_gib`` of resident memory."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, __file__, "--one", spec, "--op", op, "--app-size", str(size),
                                 "--rows", str(rows), "--out", out], stdout=subprocess.DEVNULL, stderr=err,
                                env=corpus.child_env(), stdin=subprocess.DEVNULL)
        started, peak, why = time.monotonic(), 0.0, ""
        while proc.poll() is None:
            peak = max(peak, _child_rss_gib(proc.pid))
            if peak > max_gib:
                why = f"killed: resident memory passed {max_gib:g} GiB after {time.monotonic() - started:.0f} s"
            elif time.monotonic() - started > timeout:
                why = f"killed: timeout after {timeout:g} s"
            if why:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.2)
        err.seek(0)
        tail = [ln for ln in err.read().decode(errors="replace").splitlines() if ln.strip()]
    try:
        if not why and os.path.getsize(out):
            with open(out, encoding="utf-8") as f:
                return json.load(f)
        errors = [ln for ln in tail if "Error" in ln] or tail
        return {"model": spec, "op": op, "error": why or (errors[-1][:300] if errors else f"exit {proc.returncode}")}
    finally:
        os.unlink(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depths", default="10,100,1000", help="Dense stack depths (default 10,100,1000)")
    p.add_argument("--apps", default="EfficientNetB7,ConvNeXtXLarge", help="keras.applications names, or none")
    p.add_argument("--app-size", type=int, default=224, help="square input for the applications (0: default size)")
    p.add_argument("--rows", type=int, default=12, help="rows of data for the applications (default 12)")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--max-gib", type=float, default=16, help="kill a measurement past this RSS (default 16 GiB)")
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--op", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv[1:])
    if args.one:
        res = one(args.one, args.op, args.app_size, args.rows)
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(res, fh)
        return 0
    print(header(argv), flush=True)
    print(f"# load average at start: {os.getloadavg()[0]:.2f}")
    specs = [f"dense{d}" for d in args.depths.split(",") if d.strip()]
    if args.apps.lower() != "none":
        specs += [a.strip() for a in args.apps.split(",") if a.strip()]
    print(f"{'model':16} {'op':8} {'layers':>6} {'params':>11} {'input':>11} {'build s':>8} {'op s':>7} "
          f"{'op/build':>8} {'ms/layer':>8} {'build MiB':>9} {'op MiB':>7} {'mem ratio':>9}  result")
    for spec in specs:
        for op in ("diagnose", "suggest"):
            r = measure(spec, op, args.app_size, args.rows, args.timeout, args.max_gib)
            if "error" in r:
                print(f"{spec:16} {op:8} ERROR {r['error']}", flush=True)
                continue
            shape = "x".join(map(str, r["input"]))
            what = ",".join(r["result"]) or "-"
            if op == "suggest":
                what += f"; {'verified' if r['verified'] else 'UNVERIFIED'}: {r['fix'][:70]}" if r["fix"] else "; no fix"
            ratio = r["op_peak_mb"] / r["build_mb"] if r["build_mb"] > 0 else float("nan")
            print(f"{spec:16} {op:8} {r['layers']:>6} {r['params']:>11,} {shape:>11} {r['build_s']:>8.2f} "
                  f"{r['op_s']:>7.2f} {r['op_s'] / r['build_s']:>8.2f} {1000 * r['op_s'] / r['layers']:>8.2f} "
                  f"{r['build_mb']:>9.0f} {r['op_peak_mb']:>7.0f} {ratio:>9.2f}  {what}", flush=True)
    print(f"# load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
