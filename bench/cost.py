"""What ``kerasfix apply`` costs, as ratios to running the script itself (measured side by side).

    python bench/cost.py                 # (a) + (b), ~6 min on 2 idle cores
    python bench/cost.py --repeat 3 --part a

(a) For one buggy corpus variant per single fault kind: wall time of ``kerasfix apply --diff script.py``
    against ``python script.py`` (which fails fast for a crashing fault, or trains its one epoch for a
    silent one). The two commands alternate, ``--repeat`` times each; the per-script medians give the
    ratio; the headline is the median ratio over the crashing scripts (target <= 1.5).
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
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=corpus.child_env(), stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, proc.returncode


def kerasfix(*args: str) -> list[str]:
    return [sys.executable, "-m", "kerasfix", *args]


def part_a(tmp: Path, repeat: int) -> None:
    picked: dict[str, corpus.Variant] = {}
    for v in corpus.variants(per_kind=1, pairs=0):
        picked.setdefault(v.kind, v)
    print(f"\n## (a) kerasfix apply --diff vs python script.py, {len(picked)} buggy scripts, "
          f"median of {repeat} alternating runs each")
    print(f"{'script':52} {'python s':>8} {'exit':>4} {'kerasfix s':>10} {'exit':>4} {'ratio':>6}")
    crash, silent = [], []
    for i, v in enumerate(picked.values()):
        path = tmp / f"{v.id}.py"
        path.write_text(v.text, encoding="utf-8")
        plain, fix = [], []
        for r in range(repeat):
            order = [("plain", [sys.executable, str(path)]), ("fix", kerasfix("apply", "--diff", str(path)))]
            if (i + r) % 2:
                order.reverse()
            for what, cmd in order:
                t, code = timed(cmd, str(tmp))
                (plain if what == "plain" else fix).append((t, code))
        tp, tf = statistics.median(t for t, _ in plain), statistics.median(t for t, _ in fix)
        code_p, code_f = plain[0][1], fix[0][1]
        ratio = tf / tp
        (crash if code_p != 0 else silent).append(ratio)
        print(f"{v.id:52} {tp:>8.2f} {code_p:>4} {tf:>10.2f} {code_f:>4} {ratio:>6.2f}", flush=True)
    if crash:
        print(f"median ratio, {len(crash)} scripts whose plain run fails: {statistics.median(crash):.2f} "
              f"(min {min(crash):.2f}, max {max(crash):.2f}; target <= 1.5)")
    if silent:
        print(f"median ratio, {len(silent)} silent faults (the plain run trains its epoch): "
              f"{statistics.median(silent):.2f}")


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
    p.add_argument("--part", choices=("a", "b", "both"), default="both")
    args = p.parse_args(argv[1:])
    print(header(argv), flush=True)
    print(f"# load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="kfbench-") as tmp:
        if args.part in ("a", "both"):
            part_a(Path(tmp), args.repeat)
        if args.part in ("b", "both"):
            part_b(Path(tmp), args.repeat)
    print(f"# load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
