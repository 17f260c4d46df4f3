"""What ``kerasfix check`` / ``kerasfix apply`` cost, as ratios to running the script itself (measured side by side).

    python bench/cost.py                 # (a) + (f) + (b), ~15 min on 2 idle cores
    python bench/cost.py --repeat 3 --part a

kerasfix runs each script in a process forked from a warm worker: one worker (one TensorFlow import) per
kerasfix process, so a single-file invocation pays one import in its worker, and a folder run pays it once for
all its files.

(a) Cold, one file per invocation. For one buggy corpus variant per single fault kind: wall time of
    ``kerasfix apply --diff script.py`` and ``kerasfix check script.py`` against ``python script.py`` (which
    fails fast for a crashing fault, or trains its one epoch for a silent one). The three commands rotate,
    ``--repeat`` times each; the per-script medians give the ratios; the headlines are the median ratios over
    the crashing scripts (issue 15 targets: apply --diff <= 1.3, check <= 1.15). The floor is printed too:
    ``python -c "import keras"`` (the user's own failing run imports Keras, then runs the script up to its model).
(f) Per file in a folder: the same scripts in one folder through ONE ``kerasfix apply --diff -j 1 DIR`` and
    ``kerasfix check -j 1 DIR``: wall time / files, against the median plain run.
(b) A script that, once fixed, trains for 200 epochs on 8192 samples: ``kerasfix apply`` on it (epochs=200
    and epochs=20000: the same cost, since kerasfix stops at fit) against really training the fixed script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import corpus  # noqa: E402
from repair_rate import header  # noqa: E402

LONG = '''\
"""An MLP with one output unit too few, that trains for EPOCHS epochs on 8192 samples once fixed."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(7)
x = rng.random((8192, 64)).astype("float32")
y = rng.permutation(np.arange(8192) % 10)

model = keras.Sequential([
    keras.Input(shape=(64,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(9, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=EPOCHS, batch_size=128, verbose=0)
'''


def timed(cmd: list[str], cwd: str) -> tuple[float, int]:
    t, code, _ = timed_cpu(cmd, cwd)
    return t, code


def timed_cpu(cmd: list[str], cwd: str) -> tuple[float, int, float]:
    """Wall seconds, exit code, and CPU seconds (user + system) of the command and every process it waited for
    (kerasfix waits for its worker, the worker for each run it forked): far steadier than wall time on a
    machine that other work shares."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=corpus.child_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, proc.returncode, usage.ru_utime + usage.ru_stime


def kerasfix(*args: str) -> list[str]:
    exe = Path(sys.executable).with_name("kerasfix")  # the console script, as a user runs it
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "kerasfix", *args]


LIMIT: int | None = None


def _picked() -> list[corpus.Variant]:
    """One buggy variant per single fault kind (the first ``--limit`` kinds, on a busy machine)."""
    picked: dict[str, corpus.Variant] = {}
    for v in corpus.variants(per_kind=1, pairs=0):
        picked.setdefault(v.kind, v)
    return list(picked.values())[:LIMIT]


def floor(tmp: Path, repeat: int) -> float:
    """``python -c "import keras"``: what every plain run pays before its first line of model code."""
    return statistics.median(timed([sys.executable, "-c", "import keras"], str(tmp))[0] for _ in range(max(repeat, 2)))


def part_a(tmp: Path, repeat: int) -> dict[str, float]:
    picked = _picked()
    print(f"\n## (a) cold: kerasfix apply --diff / check vs python script.py, {len(picked)} buggy scripts, "
          f"median of {repeat} rotating runs each")
    print(f"{'':52} {'---------------------- wall time ----------------------':>57}   "
          f"{'------------- CPU time -------------':>36}")
    print(f"{'script':52} {'python s':>8} {'exit':>4} {'apply s':>8} {'exit':>4} {'ratio':>6} "
          f"{'check s':>8} {'exit':>4} {'ratio':>6}   {'python':>6} {'apply':>6} {'ratio':>6} {'check':>6} {'ratio':>6}")
    crash: dict[str, list[float]] = {"apply": [], "check": []}
    silent: dict[str, list[float]] = {"apply": [], "check": []}
    crash_cpu: dict[str, list[float]] = {"apply": [], "check": []}
    silent_cpu: dict[str, list[float]] = {"apply": [], "check": []}
    plains: list[float] = []
    for i, v in enumerate(picked):
        path = tmp / f"{v.id}.py"
        path.write_text(v.text, encoding="utf-8")
        runs: dict[str, list[tuple[float, int, float]]] = {"plain": [], "apply": [], "check": []}
        cmds = [("plain", [sys.executable, str(path)]), ("apply", kerasfix("apply", "--diff", str(path))),
                ("check", kerasfix("check", str(path)))]
        for r in range(repeat):
            k = (i + r) % 3
            for what, cmd in cmds[k:] + cmds[:k]:
                runs[what].append(timed_cpu(cmd, str(tmp)))
        med = {w: statistics.median(t for t, _, _ in rs) for w, rs in runs.items()}
        cpu = {w: statistics.median(c for _, _, c in rs) for w, rs in runs.items()}
        code = {w: rs[0][1] for w, rs in runs.items()}
        into = crash if code["plain"] != 0 else silent
        into_cpu = crash_cpu if code["plain"] != 0 else silent_cpu
        for w in ("apply", "check"):
            into[w].append(med[w] / med["plain"])
            into_cpu[w].append(cpu[w] / cpu["plain"])
        if code["plain"] != 0:
            plains.append(med["plain"])
        print(f"{v.id:52} {med['plain']:>8.2f} {code['plain']:>4} {med['apply']:>8.2f} {code['apply']:>4} "
              f"{med['apply'] / med['plain']:>6.2f} {med['check']:>8.2f} {code['check']:>4} "
              f"{med['check'] / med['plain']:>6.2f}   {cpu['plain']:>6.1f} {cpu['apply']:>6.1f} "
              f"{cpu['apply'] / cpu['plain']:>6.2f} {cpu['check']:>6.1f} {cpu['check'] / cpu['plain']:>6.2f}",
              flush=True)
    out: dict[str, float] = {}
    for w, target in (("apply", 1.3), ("check", 1.15)):
        if crash[w]:
            out[w] = statistics.median(crash[w])
            print(f"{'apply --diff' if w == 'apply' else 'check':12} median ratio, {len(crash[w])} scripts whose plain "
                  f"run fails: {out[w]:.2f} (min {min(crash[w]):.2f}, max {max(crash[w]):.2f}; target <= {target})")
        if crash_cpu[w]:
            print(f"{'':12} the same in CPU time: {statistics.median(crash_cpu[w]):.2f} "
                  f"(min {min(crash_cpu[w]):.2f}, max {max(crash_cpu[w]):.2f})")
        if silent[w]:
            print(f"{'apply --diff' if w == 'apply' else 'check':12} median ratio, {len(silent[w])} silent faults "
                  f"(the plain run trains its epoch): {statistics.median(silent[w]):.2f} wall, "
                  f"{statistics.median(silent_cpu[w]):.2f} CPU")
    if plains:
        out["plain"] = statistics.median(plains)
    f = floor(tmp, repeat)
    print(f"floor: python -c 'import keras' {f:.2f} s = {f / out.get('plain', f):.2f} x the median failing plain run "
          f"({out.get('plain', float('nan')):.2f} s)")
    return out


def part_f(tmp: Path, repeat: int, plain: float | None) -> None:
    picked = _picked()
    folder = tmp / "folder"
    folder.mkdir(exist_ok=True)
    for v in picked:
        (folder / f"{v.id}.py").write_text(v.text, encoding="utf-8")
    n = len(picked)
    if plain is None:
        plain = statistics.median(timed([sys.executable, str(folder / f"{v.id}.py")], str(tmp))[0] for v in picked)
    print(f"\n## (f) per file in a folder: the {n} scripts in one folder, one kerasfix process (one warm worker), -j 1; "
          f"median of {repeat}")
    print(f"{'command':36} {'wall s':>8} {'per file s':>10} {'x plain run':>11} {'CPU s':>7} {'per file':>8}")
    for what, cmd in (("kerasfix apply --diff -j 1 DIR", kerasfix("apply", "--diff", "-j", "1", str(folder))),
                      ("kerasfix check -j 1 DIR", kerasfix("check", "-j", "1", str(folder)))):
        got = [timed_cpu(cmd, str(tmp)) for _ in range(repeat)]
        wall, cpu = statistics.median(g[0] for g in got), statistics.median(g[2] for g in got)
        print(f"{what:36} {wall:>8.1f} {wall / n:>10.2f} {wall / n / plain:>11.2f} {cpu:>7.1f} {cpu / n:>8.2f}",
              flush=True)
    print(f"(x plain run: per-file wall over the median failing plain run, {plain:.2f} s)")


def part_b(tmp: Path, repeat: int) -> None:
    print("\n## (b) a script that trains 200 epochs on 8192 samples once fixed")
    short, huge = tmp / "long_train.py", tmp / "long_train_20000.py"
    short.write_text(LONG.replace("EPOCHS", "200"), encoding="utf-8")
    huge.write_text(LONG.replace("EPOCHS", "20000"), encoding="utf-8")
    fixed = tmp / "long_train_fixed.py"
    shutil.copyfile(short, fixed)
    t_apply, code = timed(kerasfix("apply", str(fixed)), str(tmp))
    if code != 0 or fixed.read_text(encoding="utf-8") == short.read_text(encoding="utf-8"):
        print(f"kerasfix apply did not fix the script (exit {code}); cannot measure the training")
        return
    rows: dict[str, list[float]] = {"diff200": [], "diff20000": [], "train": [], "plain": []}
    for r in range(repeat):
        for what, cmd in [("diff200", kerasfix("apply", "--diff", str(short))),
                          ("diff20000", kerasfix("apply", "--diff", str(huge))),
                          ("plain", [sys.executable, str(short)]),
                          ("train", [sys.executable, str(fixed)])][:: 1 if r % 2 == 0 else -1]:
            t, code = timed(cmd, str(tmp))
            rows[what].append(t)
            if what == "train" and code != 0:
                print(f"the fixed script failed (exit {code})")
    train = statistics.median(rows["train"])
    for what, label in [("plain", "python buggy script (fails at its first step)"),
                        ("diff200", "kerasfix apply --diff, epochs=200"),
                        ("diff20000", "kerasfix apply --diff, epochs=20000"),
                        ("train", "python fixed script (really trains 200 epochs)")]:
        t = statistics.median(rows[what])
        print(f"  {label:50} {t:8.2f} s   {t / train:6.3f} x training")
    print(f"  (kerasfix apply writing the fix took {t_apply:.2f} s, {t_apply / train:.3f} x training)")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=2, help="runs of each command (default 2)")
    p.add_argument("--part", default="a,f,b", help="which parts, comma-separated (default a,f,b)")
    p.add_argument("--limit", type=int, default=None, help="only the first N fault kinds' scripts in (a) and (f)")
    args = p.parse_args(argv[1:])
    parts = set(args.part.split(","))
    global LIMIT
    LIMIT = args.limit
    import kerasfix  # which copy is measured (PYTHONPATH may point at a snapshot)

    print(header(argv), flush=True)
    print(f"# kerasfix from {os.path.dirname(kerasfix.__file__)}; KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '')}")
    print(f"# load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="kfbench-") as tmp:
        got: dict[str, float] = {}
        if "a" in parts:
            got = part_a(Path(tmp), args.repeat)
        if "f" in parts:
            part_f(Path(tmp), args.repeat, got.get("plain"))
        if "b" in parts:
            part_b(Path(tmp), args.repeat)
    print(f"# load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
