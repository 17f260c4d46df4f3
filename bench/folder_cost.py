"""What ``kerasfix check DIR`` costs against running the folder's scripts one after another with ``python``.

    python bench/folder_cost.py                 # ~6 min on 2 idle cores
    python bench/folder_cost.py --repeat 3 --jobs 1,2 --command check,apply

A folder of 10 corpus scripts — 5 that crash under Keras 3, 2 that train silently on nonsense, 3 correct ones —
taken from ``fixtures/`` and ``bench/realworld/`` and copied into a fresh temporary folder for every run (the
scripts write CSV files and checkpoints). Measured side by side, in alternating order, ``--repeat`` times:

* ``python x.py`` for each file, one after another (each run pays its interpreter start and its TensorFlow
  import; a correct or silently wrong script trains its epochs, a crashing one stops at its error);
* ``kerasfix check -j N DIR`` (and ``kerasfix apply --diff -j N DIR`` with ``--command apply``): one kerasfix
  process, ONE warm worker (one TensorFlow import), every script a process forked from it, stopped at its first
  ``fit``-like call cut to one batch.

The headline is ``kerasfix wall / python wall`` (issue 15 target: <= 0.6 for ``check``). Each kerasfix run's
JSON output is read back, so a run that did less (a file not analysed) shows in the ``statuses`` column.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

from repair_rate import header  # noqa: E402

#: (path under the repository, what plain Keras 3 does with it)
SCRIPTS = [
    ("fixtures/rank_mismatch/cnn_no_flatten.py", "crash"),
    ("fixtures/dtype_mismatch/string_labels.py", "crash"),
    ("fixtures/loss_label_mismatch/cce_int_labels.py", "crash"),
    ("bench/realworld/connection/classic_missing_flatten.py", "crash"),
    ("bench/realworld/connection/conv1d_on_images.py", "crash"),
    ("fixtures/units_mismatch/seed_5_classes.py", "silent"),
    ("bench/realworld/connection/embedding_dense_rank3_rating.py", "silent"),
    ("fixtures/clean/mnist_cnn.py", "clean"),
    ("bench/realworld/clean/clean_lstm_forecast.py", "clean"),
    ("bench/realworld/clean/clean_two_input_functional.py", "clean"),
]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def make_folder(parent: Path) -> Path:
    """A fresh copy of the 10 scripts, flat, under names that keep their origin."""
    folder = Path(tempfile.mkdtemp(prefix="folder-", dir=parent))
    for rel, _ in SCRIPTS:
        src = ROOT / rel
        name = f"{src.parent.name}__{src.name}"
        shutil.copyfile(src, folder / name)
    return folder


def kerasfix_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("kerasfix")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kerasfix"]


def _run(cmd: list[str], cwd: Path, capture: bool = False) -> tuple[float, int, float, str]:
    """Wall seconds, exit code, CPU seconds of the command and every process it waited for, and its stdout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=child_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = proc.stdout.read().decode() if proc.stdout is not None else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stdout is not None:
        proc.stdout.close()
    return time.perf_counter() - t0, proc.returncode, usage.ru_utime + usage.ru_stime, out


def run_python(folder: Path) -> tuple[float, float, list[tuple[str, float, int]]]:
    per, t0, cpu = [], time.perf_counter(), 0.0
    for path in sorted(folder.glob("*.py")):
        t, code, c, _ = _run([sys.executable, path.name], folder)
        per.append((path.name, t, code))
        cpu += c
    return time.perf_counter() - t0, cpu, per


def run_kerasfix(folder: Path, command: str, jobs: int) -> tuple[float, float, int, dict[str, int]]:
    args = ["check"] if command == "check" else ["apply", "--diff"]
    wall, code, cpu, out = _run([*kerasfix_cmd(), *args, "-j", str(jobs), "--json", str(folder)], folder.parent,
                                capture=True)
    statuses: dict[str, int] = {}
    try:
        for f in json.loads(out)["files"]:
            statuses[f["status"]] = statuses.get(f["status"], 0) + 1
    except (ValueError, KeyError):
        statuses["unreadable output"] = 1
    return wall, cpu, code, statuses


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=2, help="runs of each command (default 2)")
    p.add_argument("--jobs", default="1,2", help="kerasfix -j values (default 1,2)")
    p.add_argument("--command", default="check", help="check, apply (= apply --diff) or check,apply")
    args = p.parse_args(argv[1:])
    import kerasfix  # which copy is measured (PYTHONPATH may point at a snapshot)

    print(header(argv), flush=True)
    print(f"# kerasfix from {os.path.dirname(kerasfix.__file__)}; KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '')}")
    print(f"# load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    jobs = [int(j) for j in args.jobs.split(",")]
    commands = [c.strip() for c in args.command.split(",")]
    kinds = [(f"kerasfix {c}{' --diff' if c == 'apply' else ''} -j {j}", c, j) for c in commands for j in jobs]
    walls: dict[str, list[float]] = {"python": []}
    cpus: dict[str, list[float]] = {"python": []}
    per_file: dict[str, list[float]] = {}
    codes: dict[str, int] = {}
    statuses: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="kffolder-") as tmp:
        for r in range(args.repeat):
            order = ["python", *[k for k, _, _ in kinds]]
            if r % 2:
                order.reverse()
            for what in order:
                folder = make_folder(Path(tmp))
                if what == "python":
                    wall, cpu, per = run_python(folder)
                    for name, t, code in per:
                        per_file.setdefault(name, []).append(t)
                        codes[name] = code
                else:
                    _, c, j = next(k for k in kinds if k[0] == what)
                    wall, cpu, code, st = run_kerasfix(folder, c, j)
                    statuses[what] = st
                walls.setdefault(what, []).append(wall)
                cpus.setdefault(what, []).append(cpu)
                shutil.rmtree(folder, ignore_errors=True)
                print(f"# run {r + 1}: {what:28} {wall:7.1f} s wall {cpu:7.1f} s CPU  load {os.getloadavg()[0]:.1f}",
                      flush=True)
    behaviour = {f"{(ROOT / rel).parent.name}__{(ROOT / rel).name}": b for rel, b in SCRIPTS}
    print(f"\n## the folder: {len(SCRIPTS)} scripts, python one after another (median of {args.repeat})")
    print(f"{'script':62} {'plain Keras':>11} {'python s':>8} {'exit':>4}")
    for name in sorted(per_file):
        print(f"{name:62} {behaviour[name]:>11} {statistics.median(per_file[name]):>8.2f} {codes[name]:>4}")
    base, base_cpu = statistics.median(walls["python"]), statistics.median(cpus["python"])
    print(f"\n## the whole folder (median of {args.repeat} runs; target for check: wall <= 0.6 x python)")
    print(f"{'command':30} {'wall s':>8} {'per file s':>10} {'x python':>8} {'CPU s':>7} {'x python':>8}  statuses")
    print(f"{'python x.py, one after another':30} {base:>8.1f} {base / len(SCRIPTS):>10.2f} {1.0:>8.2f} "
          f"{base_cpu:>7.1f} {1.0:>8.2f}")
    for what, _, _ in kinds:
        w, c = statistics.median(walls[what]), statistics.median(cpus[what])
        st = " ".join(f"{k}:{v}" for k, v in sorted(statuses.get(what, {}).items()))
        print(f"{what:30} {w:>8.1f} {w / len(SCRIPTS):>10.2f} {w / base:>8.2f} {c:>7.1f} {c / base_cpu:>8.2f}  {st}")
    print(f"# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
