"""What the check before ``fit`` costs in a session (issue 17), as a ratio to one epoch of that fit.

    python bench/session_cost.py                  # the scripts and the two applications, ~10 min on 2 idle cores
    python bench/session_cost.py --scripts 4 --apps ResNet50

For each script (the real-world corpus's silent and clean programs, and ``fixtures/clean/mnist_cnn.py``), in a
child process of its own: ``kerasfix.install()`` (default budget), then the script runs up to its first
``fit``, whose check is timed as the user waits for it:

* ``first``: the check on the first ``fit`` of the session (it loads kerasfix's engine, once per process);
* ``warm``: the same check again on a fresh cache (what any later model's first ``fit`` costs);
* ``again``: a repeated ``fit`` of the same model on the same data (cached: what every further fit costs).

Then one epoch of that fit, honestly: the script's own model, batch size and data, the data repeated to
``--rows`` rows (a small real data set's size: sklearn's digits has 1,797 rows, the UCI adult 48,842), trained
for two epochs without kerasfix: ``epoch1`` is the first (with Keras's tracing, what the user's first epoch
costs) and ``epoch2`` a steady one. The ratio is ``first / epoch1`` (and ``warm / epoch2``).

The two applications (``keras.applications``, ``weights=None``, 128x128x3, 10 classes) are timed the same
way on ``--app-rows`` random images. The last lines give the median and max of the ratios, how many silent
programs got a warning and how many clean ones got one (false alarms), and the budget's estimate against the
measured check (the estimate decides what is skipped).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

APPS = ("ResNet50", "DenseNet121")


def scripts() -> list[Path]:
    """The corpus programs that train: every silent and clean one (by their intended.json), and mnist_cnn."""
    out = []
    for meta in sorted((ROOT / "bench" / "realworld").glob("*/*.intended.json")):
        if json.loads(meta.read_text(encoding="utf-8")).get("behaviour") in ("silent", "clean"):
            out.append(meta.with_name(meta.name.replace(".intended.json", ".py")))
    return [*out, ROOT / "fixtures" / "clean" / "mnist_cnn.py"]


# -- the child: one script or application -----------------------------------------------------------------


class _Stop(BaseException):
    """Raised after the first fit's check: the script has shown its model and data."""


def _tile(data: Any, rows: int) -> Any:
    """``data`` repeated (or cut) to ``rows`` samples, kind for kind."""
    import numpy as np

    if data is None:
        return None
    if isinstance(data, np.ndarray):
        return np.resize(data, (rows, *data.shape[1:])) if data.ndim else data
    if hasattr(data, "iloc"):
        import pandas as pd

        return pd.concat([data] * math.ceil(rows / len(data))).iloc[:rows]
    if isinstance(data, dict):
        return {k: _tile(v, rows) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        return type(data)(_tile(v, rows) for v in data)
    if isinstance(data, (list, tuple)):
        return _tile(np.asarray(data), rows)
    if hasattr(data, "element_spec"):  # tf.data: repeat it to about ``rows`` samples
        n = sum(int(np.shape(b[0] if isinstance(b, tuple) else b)[0]) for b in data)
        return data.repeat(max(1, math.ceil(rows / max(n, 1))))
    raise TypeError(f"cannot repeat {type(data).__name__}")


def child(target: str, rows: int, out: str) -> None:
    import numpy as np

    import kerasfix
    from kerasfix import session
    from kerasfix.session.watch import _FitChecker

    result: dict[str, Any] = {"target": target}
    real = _FitChecker.before_fit

    def timed(self: Any, model: Any, args: Any, kwargs: Any, frame: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        real(self, model, args, kwargs, frame)
        result["first_ms"] = (time.perf_counter() - start) * 1000
        result["first_cpu_ms"] = (time.process_time() - cpu) * 1000
        raise _Stop(model, args, kwargs, self)

    _FitChecker.before_fit = timed  # type: ignore[method-assign]
    sink = open(os.devnull, "w")  # noqa: SIM115 - the script's own output and kerasfix's panel
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink
    kerasfix.install()
    stopped: _Stop | None = None
    try:
        if target.endswith(".py"):
            import runpy

            os.chdir(os.path.dirname(target))
            sys.argv = [target]
            sys.path.insert(0, os.path.dirname(target))
            runpy.run_path(target, run_name="__main__")
        else:
            import keras

            model = getattr(keras.applications, target)(weights=None, input_shape=(128, 128, 3), classes=10)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            rng = np.random.default_rng(0)
            x = rng.random((rows, 128, 128, 3), dtype=np.float32)
            model.fit(x, rng.integers(0, 10, rows), batch_size=32)
    except _Stop as exc:
        stopped = exc
    except BaseException as exc:  # noqa: BLE001 - a script that fails before fit: reported, not measured
        result["error"] = f"{type(exc).__name__}: {exc}"[:200]
    finally:
        sys.stdout, sys.stderr = saved
    if stopped is None:
        result.setdefault("error", "no fit reached")
        Path(out).write_text(json.dumps(result), encoding="utf-8")
        return
    model, args, kwargs, checker = stopped.args
    _FitChecker.before_fit = real  # type: ignore[method-assign]
    check = next(iter(checker._cache.get(model, {}).values()), None)
    given = checker.hooks.fit_signature.bind(model, *args, **kwargs).arguments
    x, y = given.get("x"), given.get("y")
    estimate, n_layers, params = session.estimate_ms(model, y)
    result.update(model=model.name, layers=n_layers, params=params, estimate_ms=estimate,
                  skipped=check.skipped if check else "not checked",
                  found=[str(f.kind) for f in (check.findings + check.validation if check else ())],
                  panel=str(check) if check and (check.findings or check.validation) else None)
    frame = sys._getframe()
    # warm: the same check on a fresh cache (the engine is loaded now); again: a repeated fit (cached).
    checker._cache.clear()
    start, cpu = time.perf_counter(), time.process_time()
    checker.before_fit(model, args, kwargs, frame)
    result["warm_ms"] = (time.perf_counter() - start) * 1000
    result["warm_cpu_ms"] = (time.process_time() - cpu) * 1000
    warm = next(iter(checker._cache.get(model, {}).values()), None)
    result["planning_ms"] = warm.planning_ms if warm is not None else 0.0
    start = time.perf_counter()
    checker.before_fit(model, args, kwargs, frame)
    result["again_ms"] = (time.perf_counter() - start) * 1000
    session.uninstall()

    # One epoch of that fit, honestly: the script's model and batch size, its data repeated to ``rows`` rows.
    import keras

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.start, self.cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            result[f"epoch{epoch + 1}_s"] = time.perf_counter() - self.start
            result[f"epoch{epoch + 1}_cpu_s"] = time.process_time() - self.cpu

    fit_kwargs = {k: given[k] for k in ("batch_size", "class_weight", "shuffle") if k in given}
    is_dataset = hasattr(x, "element_spec")
    try:
        with open(os.devnull, "w") as quiet:
            sys.stdout = quiet
            model.fit(_tile(x, rows), None if is_dataset else _tile(y, rows), epochs=2, verbose=0,
                      callbacks=[Epochs()], **fit_kwargs)
    except Exception as exc:  # noqa: BLE001 - its epoch cannot be measured: said so
        result["error"] = f"epoch: {type(exc).__name__}: {exc}"[:200]
    finally:
        sys.stdout = saved[0]
    result["rows"] = rows
    Path(out).write_text(json.dumps(result), encoding="utf-8")


# -- the parent ---------------------------------------------------------------------------------------------


def run_one(target: str, rows: int, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KERASFIX")}
        try:
            proc = subprocess.run([sys.executable, __file__, "--child", target, "--rows", str(rows), "--out", out],
                                  capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {"target": target, "error": f"timed out after {timeout:g} s"}
        if not os.path.exists(out):
            return {"target": target, "error": (proc.stderr.strip().splitlines() or ["no result"])[-1][:200]}
        return json.loads(Path(out).read_text(encoding="utf-8"))


def _name(target: str) -> str:
    return os.path.relpath(target, ROOT) if target.endswith(".py") else f"keras.applications.{target}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, default=2000, help="rows of one epoch for the scripts (default 2000)")
    ap.add_argument("--app-rows", type=int, default=256, help="images of one epoch for the applications")
    ap.add_argument("--scripts", type=int, default=0, help="only the first N scripts (default: all)")
    ap.add_argument("--apps", default=",".join(APPS), help="comma-separated keras.applications names")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.rows, args.out)
        return

    from repair_rate import header

    from kerasfix.session import DEFAULT_BUDGET_MS

    print(header(sys.argv))
    print(f"# load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}  "
          f"(the machine is shared: ratios are steadier than absolute times)  budget {DEFAULT_BUDGET_MS:g} ms")
    targets = [str(p) for p in scripts()]
    if args.scripts:
        targets = targets[: args.scripts]
    apps = [a for a in args.apps.split(",") if a]
    results = []
    print(f"\n{'target':<62} {'layers':>6} {'params':>10} {'found':<24} {'est ms':>6} {'first ms':>8} {'warm ms':>7}"
          f" {'(plan)':>6} {'again':>5} {'epoch1 s':>8} {'epoch2 s':>8} {'first/ep1':>9} {'warm/ep2':>8} {'cpu':>5}")
    for target in [*targets, *apps]:
        rows = args.rows if target.endswith(".py") else args.app_rows
        r = run_one(target, rows, args.timeout)
        results.append(r)
        name = _name(target)
        if "epoch2_s" not in r:
            print(f"{name:<62} -- {r.get('error', '?')}", flush=True)
            continue
        found = ",".join(r["found"]) or ("(not checked)" if r["skipped"] else "-")
        r["ratio"] = r["first_ms"] / 1000 / r["epoch1_s"]
        r["ratio_warm"] = r["warm_ms"] / 1000 / r["epoch2_s"]
        r["ratio_cpu"] = r["first_cpu_ms"] / 1000 / r["epoch1_cpu_s"]
        print(f"{name:<62} {r['layers']:>6} {r['params']:>10,} {found[:24]:<24} {r['estimate_ms']:>6.0f}"
              f" {r['first_ms']:>8.0f} {r['warm_ms']:>7.0f} {r['planning_ms']:>6.0f} {r['again_ms']:>5.1f}"
              f" {r['epoch1_s']:>8.2f} {r['epoch2_s']:>8.2f} {r['ratio']:>9.2f} {r['ratio_warm']:>8.2f}"
              f" {r['ratio_cpu']:>5.2f}", flush=True)

    def summary(label: str, chosen: list[dict[str, Any]]) -> None:
        done = [r for r in chosen if "ratio" in r]
        if not done:
            return

        def med_max(key: str) -> str:
            values = [r[key] for r in done]
            return f"median {statistics.median(values):.2f}, max {max(values):.2f}"

        print(f"{label:<13} n={len(done):<3} first fit's check / first epoch: {med_max('ratio')}"
              f" (CPU time: {med_max('ratio_cpu')});  a later model's check / a steady epoch: {med_max('ratio_warm')};"
              f"  a repeated fit: max {max(r['again_ms'] for r in done):.1f} ms")

    print()
    summary("scripts", [r for r in results if r["target"].endswith(".py")])
    summary("applications", [r for r in results if not r["target"].endswith(".py")])
    ran = [r for r in results if r["target"].endswith(".py") and "epoch2_s" in r]
    silent = [r for r in ran if _behaviour(r) == "silent"]
    clean = [r for r in ran if _behaviour(r) == "clean"]
    print(f"silent programs warned before training: {sum(bool(r['found']) for r in silent)}/{len(silent)};"
          f" clean programs warned (false alarms): {sum(bool(r['found']) for r in clean)}/{len(clean)};"
          f" not checked (subclassed, generator, over budget): {sum(bool(r['skipped']) for r in results if 'found' in r)}")
    checked = [r for r in results if "warm_ms" in r and not r.get("skipped")]
    if checked:
        ratios = [r["estimate_ms"] / max(r["warm_ms"] - r["planning_ms"], 1e-3) for r in checked]
        print(f"budget estimate / measured check (wall, without planning): median {statistics.median(ratios):.2f}, "
              f"min {min(ratios):.2f}, max {max(ratios):.2f} (n={len(ratios)}; > 1: the estimate is conservative)")
    for r in silent:
        if not r["found"]:
            print(f"  no warning: {_name(r['target'])} ({r['skipped'] or 'nothing found'})")
    for r in clean:
        if r["found"]:
            print(f"  false alarm: {_name(r['target'])}: {','.join(r['found'])}")


def _behaviour(r: dict[str, Any]) -> str:
    meta = Path(r["target"][:-3] + ".intended.json")
    return json.loads(meta.read_text(encoding="utf-8")).get("behaviour", "clean") if meta.exists() else "clean"


if __name__ == "__main__":
    main()
