"""kerasfix under Keras's other backends (JAX, torch) against TensorFlow, side by side.

    python bench/backends.py --python jax=/tmp/venv-jax/bin/python                       # all parts
    python bench/backends.py --python jax=/tmp/venv-jax/bin/python,torch=/tmp/venv-torch/bin/python --part fixtures

Each backend runs in the interpreter given for it (a venv that has that backend; ``tensorflow`` defaults to this
interpreter), with ``KERAS_BACKEND`` set; kerasfix itself is whatever that interpreter imports (``PYTHONPATH``
is passed through, so a snapshot of the repository can be measured).

``fixtures`` — six representative fixtures, each copied into a fresh folder: ``python fixture.py`` (the plain
run) and ``kerasfix apply --diff --json fixture.py``, alternating, ``--repeat`` times. Prints the times, the
ratio (issue 15 target under JAX: apply --diff <= 1.5 x the plain JAX run), whether the diff's changed lines are
exactly those from the fixture to its ``.fixed.py``, and whether findings (kind, line) and the diff equal the
TensorFlow run's.

``api`` — ``suggest_fixes`` (and ``diagnose``) in one fresh process per backend, on small models with a fault at
the end: the first call (what a user waits for: includes any compilation) and the median of the next calls.
Ratio to TensorFlow (issue 15 target under JAX: suggest_fixes <= 2 x its TensorFlow time).

``session`` — ``kerasfix.install()`` in a script whose ``fit`` fails: does the explanation follow the traceback?
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

FIXTURES = [
    "fixtures/rank_mismatch/cnn_no_flatten.py",
    "fixtures/units_mismatch/seed_5_classes.py",
    "fixtures/dtype_mismatch/string_labels.py",
    "fixtures/loss_label_mismatch/cce_int_labels.py",
    "fixtures/data_shape_mismatch/predict_single_image.py",
    "fixtures/clean/mnist_cnn.py",
]


#: Per configuration (``--pythonpath NAME=PATH``): the kerasfix to import, e.g. a prototype's scratch copy.
PYTHONPATHS: dict[str, str] = {}


def env_for(name: str) -> dict[str, str]:
    """The environment of configuration ``name``: ``jax``, or ``jax+proto`` (backend jax, its own PYTHONPATH)."""
    env = dict(os.environ)
    backend = name.split("+")[0]
    if name in PYTHONPATHS:
        env["PYTHONPATH"] = PYTHONPATHS[name]
    env["KERAS_BACKEND"] = backend
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def kerasfix_cmd(python: str) -> list[str]:
    exe = Path(python).with_name("kerasfix")
    return [str(exe)] if exe.exists() else [python, "-m", "kerasfix"]


def changed_lines(diff: str) -> list[str]:
    return [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


def expected_change(rel: str) -> list[str]:
    src = ROOT / rel
    fixed = src.with_name(src.stem + ".fixed.py")
    if not fixed.exists():
        return []
    return changed_lines("".join(difflib.unified_diff(src.read_text().splitlines(True),
                                                      fixed.read_text().splitlines(True))))


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str, seconds: float, cpu: float) -> None:
        self.returncode, self.stdout, self.stderr, self.seconds, self.cpu = returncode, stdout, stderr, seconds, cpu


def run_cpu(cmd: list[str], cwd: Path | str, env: dict[str, str]) -> Ran:
    """Run ``cmd``; its wall time and the CPU time of it and every process it waited for (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return Ran(proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   seconds, usage.ru_utime + usage.ru_stime)


def fixture_run(python: str, backend: str, rel: str, tmp: Path, what: str) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"{backend}-", dir=tmp))
    src = ROOT / rel
    path = folder / src.name
    shutil.copyfile(src, path)
    cmd = [python, path.name] if what == "plain" else [*kerasfix_cmd(python), "apply", "--diff", "--json", path.name]
    proc = run_cpu(cmd, folder, env_for(backend))
    out: dict[str, Any] = {"s": proc.seconds, "cpu": proc.cpu, "exit": proc.returncode}
    if what == "apply":
        try:
            f = json.loads(proc.stdout)["files"][0]
            out.update(status=f["status"], diff=f["diff"] or "", message=f["message"],
                       findings=sorted({(g["kind"], (g.get("origin") or {}).get("line")) for g in f["findings"]}))
        except (ValueError, KeyError, IndexError):
            out.update(status="unreadable", diff="", message=(proc.stderr or proc.stdout)[-300:], findings=[])
    elif proc.returncode not in (0, 1):
        out["message"] = proc.stderr[-300:]
    shutil.rmtree(folder, ignore_errors=True)
    return out


def part_fixtures(pythons: dict[str, str], repeat: int, tmp: Path) -> None:
    print(f"\n## fixtures: python fixture.py vs kerasfix apply --diff, per backend (median of {repeat})")
    print(f"{'fixture':42} {'backend':10} {'python s':>8} {'exit':>4} {'apply s':>8} {'exit':>4} {'ratio':>6} "
          f"{'= .fixed':>8} {'= TF':>5} {'apply runs s':>14} {'CPU python':>10} {'apply':>6} {'ratio':>6}  "
          "status / findings")
    ratios: dict[str, list[float]] = {}
    cpu_ratios: dict[str, list[float]] = {}
    for rel in FIXTURES:
        want = expected_change(rel)
        tf_result: dict[str, Any] | None = None
        for backend, python in pythons.items():
            runs: dict[str, list[dict[str, Any]]] = {"plain": [], "apply": []}
            for r in range(repeat):
                for what in (("plain", "apply") if r % 2 == 0 else ("apply", "plain")):
                    runs[what].append(fixture_run(python, backend, rel, tmp, what))
            plain = statistics.median(x["s"] for x in runs["plain"])
            apply = statistics.median(x["s"] for x in runs["apply"])
            plain_cpu = statistics.median(x["cpu"] for x in runs["plain"])
            apply_cpu = statistics.median(x["cpu"] for x in runs["apply"])
            a = runs["apply"][0]
            same_fixed = changed_lines(a["diff"]) == want
            if backend == "tensorflow":
                tf_result = a
            same_tf = "-" if tf_result is None or backend == "tensorflow" else (
                "yes" if (a["diff"], a["findings"]) == (tf_result["diff"], tf_result["findings"]) else "NO")
            ratios.setdefault(backend, []).append(apply / plain)
            cpu_ratios.setdefault(backend, []).append(apply_cpu / plain_cpu)
            found = ", ".join(f"{k}@{ln}" for k, ln in a["findings"]) or "-"
            note = a["status"] + ": " + found + (f" | {a['message'][:160]}" if a.get("message") else "")
            print(f"{Path(rel).parent.name + '/' + Path(rel).name:42} {backend:10} {plain:>8.2f} "
                  f"{runs['plain'][0]['exit']:>4} {apply:>8.2f} {a['exit']:>4} {apply / plain:>6.2f} "
                  f"{'yes' if same_fixed else 'NO':>8} {same_tf:>5} "
                  f"{' '.join(format(x['s'], '.1f') for x in runs['apply']):>14} {plain_cpu:>10.1f} {apply_cpu:>6.1f} "
                  f"{apply_cpu / plain_cpu:>6.2f}  {note}", flush=True)
    for backend, rs in ratios.items():
        print(f"{backend}: median apply --diff / plain run {statistics.median(rs):.2f} wall, "
              f"{statistics.median(cpu_ratios[backend]):.2f} CPU, over {len(rs)} fixtures")


API_CHILD = r'''
import json, os, statistics, sys, time
import numpy as np
import keras
from keras import layers
from kerasfix import diagnose, suggest_fixes
rng = np.random.default_rng(0)
repeat = int(sys.argv[1])
def cnn(filters):
    m = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(filters, 3, activation="relu"),
                          layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(),
                          layers.Dense(10, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    return m, rng.random((32, 32, 32, 3)).astype("float32"), rng.integers(0, 10, 32)
def dense(depth):
    m = keras.Sequential([keras.Input((16,))] + [layers.Dense(16, activation="relu") for _ in range(depth)]
                         + [layers.Dense(5, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    return m, rng.random((64, 16)).astype("float32"), np.arange(64) % 10
def lstm():
    # A Dense on the LSTM's whole sequence (one label per series): Keras 3 builds a Sequential with an Input at
    # once, so a stacked LSTM without return_sequences cannot even be constructed as a model object here.
    m = keras.Sequential([keras.Input((20, 4)), layers.LSTM(16, return_sequences=True), layers.Dense(1)])
    m.compile("adam", "mse")
    return m, rng.random((32, 20, 4)).astype("float32"), rng.random((32, 1)).astype("float32")
models = {"cnn small (8 filters)": lambda: cnn(8), "cnn large (128 filters)": lambda: cnn(128),
          "dense x100, units": lambda: dense(100), "LSTM sequence into Dense": lambda: lstm()}
out = {}
for name, make in models.items():
    row = {}
    for op, fn in (("suggest", suggest_fixes), ("diagnose", diagnose)):
        times = []
        for _ in range(1 + repeat):
            m, x, y = make()
            t0 = time.perf_counter()
            res = fn(m, x, y)
            times.append(time.perf_counter() - t0)
        row[op] = [times[0], statistics.median(times[1:])]
        if op == "suggest":
            row["fix"] = (res[0].summary + (" (verified)" if res[0].verified else " (NOT verified)")) if res else "none"
    out[name] = row
print("RESULT " + json.dumps(out))
'''


def part_api(pythons: dict[str, str], repeat: int) -> None:
    print(f"\n## api: suggest_fixes / diagnose in one process per backend (first call; median of the next {repeat})")
    results: dict[str, dict[str, Any]] = {}
    for backend, python in pythons.items():
        proc = subprocess.run([python, "-c", API_CHILD, str(repeat)], env=env_for(backend), capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            print(f"{backend}: FAILED: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}")
            continue
        results[backend] = json.loads(line[7:])
    print(f"{'model':36} {'backend':10} {'suggest 1st':>11} {'next':>7} {'x TF':>6} {'diagnose 1st':>12} {'next':>7} "
          f"{'x TF':>6}  fix")
    tf = results.get("tensorflow", {})
    for name in next(iter(results.values()), {}):
        for backend, res in results.items():
            r = res[name]
            t = tf.get(name)
            xs = f"{r['suggest'][1] / t['suggest'][1]:>6.2f}" if t else f"{'-':>6}"
            xd = f"{r['diagnose'][1] / t['diagnose'][1]:>6.2f}" if t else f"{'-':>6}"
            print(f"{name:36} {backend:10} {r['suggest'][0]:>11.2f} {r['suggest'][1]:>7.2f} {xs} "
                  f"{r['diagnose'][0]:>12.2f} {r['diagnose'][1]:>7.2f} {xd}  {r['fix'][:70]}", flush=True)


SESSION_SCRIPT = '''
import numpy as np, keras, kerasfix
from keras import layers
kerasfix.install()
x = np.random.rand(64, 28, 28, 1).astype("float32"); y = np.random.randint(0, 10, 64)
model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                          layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
'''


def part_session(pythons: dict[str, str], tmp: Path) -> None:
    print("\n## session: kerasfix.install(), then a fit that fails (missing Flatten)")
    script = tmp / "session_fit.py"
    script.write_text(SESSION_SCRIPT, encoding="utf-8")
    for backend, python in pythons.items():
        t0 = time.perf_counter()
        proc = subprocess.run([python, str(script)], env=env_for(backend), capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, cwd=tmp)
        took = time.perf_counter() - t0
        err = proc.stderr
        last_exc = next((ln for ln in reversed(err.splitlines()) if "Error" in ln and not ln.startswith(" ")), "?")
        expl = [ln for ln in err.splitlines() if ln.startswith(("kerasfix:", "suggested fix"))]
        print(f"{backend:10} {took:6.1f} s  explained: {'yes' if expl else 'NO'}  "
              f"{' | '.join(expl)[:200] if expl else 'the error: ' + last_exc[:200]}", flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default="", help="NAME=PYTHON,... where NAME is a backend, or BACKEND+LABEL for a "
                   "second configuration of it (tensorflow defaults to this interpreter)")
    p.add_argument("--pythonpath", default="", help="NAME=PATH,...: PYTHONPATH for that configuration")
    p.add_argument("--part", default="fixtures,api,session")
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args(argv[1:])
    pythons = {"tensorflow": sys.executable}
    for item in filter(None, args.python.split(",")):
        backend, _, python = item.partition("=")
        pythons[backend] = python
    for item in filter(None, args.pythonpath.split(",")):
        name, _, path = item.partition("=")
        PYTHONPATHS[name] = path
    sys.path.insert(0, str(BENCH))
    from repair_rate import header

    print(header(argv), flush=True)
    for backend, python in pythons.items():
        v = subprocess.run([python, "-c", "import importlib.metadata as m, kerasfix, os\n"
                            f"b = {backend.split('+')[0]!r}; pkg = {{'tensorflow': 'tensorflow', 'jax': 'jax', 'torch': 'torch'}}[b]\n"
                            "print(pkg, m.version(pkg), 'keras', m.version('keras'), 'kerasfix from', "
                            "os.path.dirname(kerasfix.__file__))"],
                           capture_output=True, text=True, env=env_for(backend), cwd=tempfile.gettempdir())
        print(f"# {backend}: {python}: {v.stdout.strip() or v.stderr.strip()[-200:]}")
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    parts = set(args.part.split(","))
    with tempfile.TemporaryDirectory(prefix="kfbackends-") as tmp:
        if "fixtures" in parts:
            part_fixtures(pythons, args.repeat, Path(tmp))
        if "api" in parts:
            part_api(pythons, args.repeat)
        if "session" in parts:
            part_session(pythons, Path(tmp))
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
