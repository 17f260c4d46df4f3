"""How diagnose / suggest_fixes scale with the model: time and peak memory against building and training it.

    python bench/scale.py                                   # Dense stacks 10/100/1000 + EfficientNetB7, ConvNeXtXLarge at 224x224
    python bench/scale.py --depths 10,100 --apps none
    python bench/scale.py --depths none --apps EfficientNetB7 --ops train,suggest --stages   # where the memory goes

Every measurement runs in a fresh child process, one at a time: import Keras and kerasfix, build the model
(timed), then run ONE op, and read the process's peak resident set (``VmHWM`` in ``/proc/self/status``):

* ``train``    — the yardstick: compile the model as the user would and take ONE ``train_on_batch`` step on the
  sample with labels that fit it (what a user's own first step costs);
* ``diagnose`` / ``suggest`` — ``kerasfix.diagnose`` / ``kerasfix.suggest_fixes`` on the model with a fault at its
  very end, so the whole model is walked and the planner has work:
  Dense stacks ``Input(16) -> Dense(16) x N -> Dense(5, softmax)`` with 10 classes (too few units);
  applications ``weights=None, classes=10`` with labels 0..11 (two classes more than units).

Columns: build s; op s; op/build; op ms per layer (linear growth = a flat column); ``peak MiB`` — the process's
peak RSS (imports + model + op; the figure issue 15 bounds); ``x train`` — that peak over the ``train`` op's peak on
the same model and sample (target <= 2 for ``suggest``); ``op MiB`` — how far the op's peak rose above the RSS
after the build.

``--stages`` (with ``suggest``) also records the peak RSS of each stage of ``suggest_fixes`` — ``problem_for``,
every ``examine`` (a full rebuild of the model from its layer configs, then a forward pass), each candidate
(``_try``: apply + examine), ``_verify`` / ``train_step`` / ``build_model`` — by resetting the kernel's high-water
mark (``/proc/self/clear_refs``) at each stage boundary. TensorFlow's tensors are not Python objects, so
``tracemalloc`` would not see them: these are resident-set figures.

A measurement that passes ``--max-gib`` of resident memory (default 16 of the machine's 24) or ``--timeout`` is
killed and reported as such.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import corpus  # noqa: E402
from repair_rate import header  # noqa: E402


def _status() -> dict[str, float]:
    """VmRSS and VmHWM of this process (Linux), MiB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024
    return out


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Stages:
    """Peak RSS per stage, nested: at every boundary the high-water mark is folded into each open stage, then reset."""

    def __init__(self, log: str | None = None) -> None:
        self.log = log  # each finished stage is appended here too, so a run killed for its memory still shows them
        self.rows: list[dict[str, Any]] = []
        self.open: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.peak = 0.0

    def _fold(self) -> float:
        st = _status()
        for row in self.open:
            row["peak"] = max(row["peak"], st["VmHWM"])
        self.peak = max(self.peak, st["VmHWM"])
        _reset_peak()
        return st["VmRSS"]

    @contextlib.contextmanager
    def stage(self, name: str):
        rss = self._fold()
        self.counts[name] = self.counts.get(name, 0) + 1
        row = {"stage": f"{name}#{self.counts[name]}", "depth": len(self.open), "rss_in": rss, "peak": rss,
               "t": time.perf_counter()}
        self.rows.append(row)
        self.open.append(row)
        try:
            yield
        finally:
            row["rss_out"] = self._fold()
            row["s"] = time.perf_counter() - row["t"]
            del row["t"]
            self.open.pop()
            if self.log:
                with open(self.log, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row) + "\n")

    def wrap(self, owner: Any, attr: str, name: str | None = None) -> None:
        fn = getattr(owner, attr)

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name or attr):
                return fn(*args, **kwargs)

        setattr(owner, attr, wrapped)


def _instrument(log: str | None) -> Stages:
    import kerasfix.diagnosis as diagnosis
    import kerasfix.plan as plan
    import kerasfix.problem as problem

    st = Stages(log)
    # The names as the planner looks them up (``from x import y`` binds its own copy).
    st.wrap(plan, "problem_for")
    st.wrap(plan, "examine")
    st.wrap(plan, "_try")
    st.wrap(plan, "_verify")
    st.wrap(plan, "train_step")
    st.wrap(plan, "build_model")
    st.wrap(diagnosis, "walk")
    st.wrap(diagnosis, "forward")
    st.wrap(problem.Problem, "apply", "Problem.apply")
    return st


def _make(model_spec: str, size: int, rows: int) -> tuple[Any, Any, Any, Any]:
    """(model, x, y with a fault at the end, y that fits the model)."""
    import keras
    import numpy as np

    rng = np.random.default_rng(0)
    if model_spec.startswith("dense"):
        depth = int(model_spec[5:])
        model = keras.Sequential([keras.Input(shape=(16,))] + [keras.layers.Dense(16, activation="relu")
                                                                 for _ in range(depth)]
                                 + [keras.layers.Dense(5, activation="softmax")])
        x = rng.random((64, 16)).astype("float32")
        return model, x, np.arange(64) % 10, np.arange(64) % 5
    ctor = getattr(keras.applications, model_spec)
    kwargs = {"input_shape": (size, size, 3)} if size else {}
    model = ctor(weights=None, classes=10, **kwargs)
    shape = tuple(int(d) for d in model.input_shape[1:])
    x = rng.random((rows, *shape)).astype("float32")
    return model, x, np.arange(rows) % 12, np.arange(rows) % 10


def one(model_spec: str, op: str, size: int, rows: int, stages: bool, log: str | None = None) -> dict:
    import keras  # noqa: F401  (imported before the baseline RSS is read)
    import numpy as np

    from kerasfix import diagnose, suggest_fixes

    # Keras itself recurses once per layer when it builds a Sequential (ops/function.py _build_map):
    # 1000 layers exceed Python's default limit of 1000 frames before kerasfix is involved.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    imported = _status()["VmRSS"]
    t0 = time.perf_counter()
    model, x, y_bad, y_good = _make(model_spec, size, rows)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    build = time.perf_counter() - t0
    after_build = _status()["VmRSS"]
    st = _instrument(log) if stages and op == "suggest" else None
    _reset_peak()
    t0 = time.perf_counter()
    kinds: list[str] = []
    fix, verified = "", False
    if op == "train":
        loss = model.train_on_batch(x, y_good)
        kinds = [f"loss {float(np.asarray(loss if not isinstance(loss, list) else loss[0])):.3g}"]
    elif op == "diagnose":
        kinds = [f.kind.value for f in diagnose(model, x, y_bad).findings]
    else:
        fixes = suggest_fixes(model, x, y_bad)
        kinds = [f.finding.kind.value for f in fixes]
        fix, verified = (fixes[0].summary, fixes[0].verified) if fixes else ("", False)
    took = time.perf_counter() - t0
    end = _status()
    peak = max(end["VmHWM"], st.peak if st else 0.0)
    return {
        "model": model_spec, "op": op, "layers": len(model.layers), "params": int(model.count_params()),
        "input": list(x.shape[1:]), "rows": int(x.shape[0]), "build_s": build, "op_s": took,
        "imported_mb": imported, "build_mb": after_build - imported, "after_build_mb": after_build,
        "peak_mb": peak, "op_peak_mb": max(0.0, peak - after_build), "end_rss_mb": end["VmRSS"],
        "result": kinds[:3], "fix": fix, "verified": verified,
        "stages": st.rows if st else None,
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


def measure(spec: str, op: str, args: argparse.Namespace) -> dict:
    """One child process; killed (and reported) past ``timeout`` or ``max_gib`` of resident memory."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    cmd = [sys.executable, __file__, "--one", spec, "--op", op, "--app-size", str(args.app_size),
           "--rows", str(args.rows), "--out", out] + (["--stages"] if args.stages else [])
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=corpus.child_env(),
                                stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        started, peak, why = time.monotonic(), 0.0, ""
        while proc.poll() is None:
            peak = max(peak, _child_rss_gib(proc.pid))
            if peak > args.max_gib:
                why = f"killed: resident memory passed {args.max_gib:g} GiB after {time.monotonic() - started:.0f} s"
            elif time.monotonic() - started > args.timeout:
                why = f"killed: timeout after {args.timeout:g} s"
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
        failed: dict[str, Any] = {"model": spec, "op": op,
                                  "error": why or (errors[-1][:300] if errors else f"exit {proc.returncode}")}
        if os.path.exists(out + ".stages"):  # the stages finished before the kill, innermost first
            with open(out + ".stages", encoding="utf-8") as f:
                failed["stages"] = [json.loads(line) for line in f if line.strip()]
            failed["peak_seen_gib"] = peak
        return failed
    finally:
        for path in (out, out + ".stages"):
            if os.path.exists(path):
                os.unlink(path)


def print_stages(r: dict, finished_only: bool = False) -> None:
    print(f"\n  stages of suggest_fixes on {r['model']} (RSS MiB; peak = the stage's own high-water mark; "
          f"+peak = peak over the RSS it started from)"
          + ("\n  (killed: only the stages that finished, each listed when it ended, inner before outer)"
             if finished_only else ""))
    print(f"  {'stage':44} {'s':>6} {'rss in':>7} {'peak':>7} {'+peak':>7} {'rss out':>7}")
    for row in r["stages"]:
        name = "  " * row["depth"] + row["stage"]
        print(f"  {name:44} {row['s']:>6.2f} {row['rss_in']:>7.0f} {row['peak']:>7.0f} "
              f"{row['peak'] - row['rss_in']:>7.0f} {row['rss_out']:>7.0f}")
    print()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depths", default="10,100,1000", help="Dense stack depths (default 10,100,1000), or none")
    p.add_argument("--apps", default="EfficientNetB7,ConvNeXtXLarge", help="keras.applications names, or none")
    p.add_argument("--app-size", type=int, default=224, help="square input for the applications (0: default size)")
    p.add_argument("--rows", type=int, default=12, help="rows of data for the applications (default 12)")
    p.add_argument("--ops", default="train,diagnose,suggest", help="which ops (default train,diagnose,suggest)")
    p.add_argument("--stages", action="store_true", help="peak RSS per stage of suggest_fixes")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--max-gib", type=float, default=16, help="kill a measurement past this RSS (default 16 GiB)")
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--op", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv[1:])
    if args.one:
        res = one(args.one, args.op, args.app_size, args.rows, args.stages, args.out + ".stages")
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(res, fh)
        return 0
    import kerasfix  # only to say which copy is measured (the children import the same one)

    print(header(argv), flush=True)
    print(f"# kerasfix from {os.path.dirname(kerasfix.__file__)}; KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '')}")
    print(f"# load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    specs = [f"dense{d}" for d in args.depths.split(",") if d.strip() and d.strip() != "none"]
    if args.apps.lower() != "none":
        specs += [a.strip() for a in args.apps.split(",") if a.strip()]
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    print(f"{'model':16} {'op':8} {'layers':>6} {'params':>11} {'input':>11} {'build s':>8} {'op s':>7} "
          f"{'op/build':>8} {'ms/layer':>8} {'peak MiB':>8} {'x train':>7} {'op MiB':>7}  result")
    for spec in specs:
        train_peak = None
        for op in ops:
            r = measure(spec, op, args)
            if "error" in r:
                print(f"{spec:16} {op:8} ERROR {r['error']}", flush=True)
                if r.get("stages"):
                    print_stages(r, finished_only=True)
                continue
            if op == "train":
                train_peak = r["peak_mb"]
            shape = "x".join(map(str, r["input"]))
            what = ",".join(r["result"]) or "-"
            if op == "suggest":
                what += f"; {'verified' if r['verified'] else 'UNVERIFIED'}: {r['fix'][:60]}" if r["fix"] else "; no fix"
            vs_train = f"{r['peak_mb'] / train_peak:>7.2f}" if train_peak else f"{'-':>7}"
            print(f"{spec:16} {op:8} {r['layers']:>6} {r['params']:>11,} {shape:>11} {r['build_s']:>8.2f} "
                  f"{r['op_s']:>7.2f} {r['op_s'] / r['build_s']:>8.2f} {1000 * r['op_s'] / r['layers']:>8.2f} "
                  f"{r['peak_mb']:>8.0f} {vs_train} {r['op_peak_mb']:>7.0f}  {what}", flush=True)
            if r.get("stages"):
                print_stages(r)
    print(f"# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
