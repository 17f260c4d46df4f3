"""What diagnosis and planning cost, relative to what Keras itself does on the same model.

    python bench/engine_cost.py [--layers 200] [--repeat 3]

Prints, measured side by side in one process:
  * diagnose() on a <layers>-layer Sequential (fault at the end, so the whole stack is walked)
    against building that model twice (issue 2: must be well under 1.0);
  * suggest_fixes() against one model.fit step on the same sample, for a small and a large model (issue 3).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from kerasfix import diagnose, suggest_fixes  # noqa: E402

RNG = np.random.default_rng(0)


def deep_stack(n: int, *, broken: bool) -> list:
    body = [layers.Dense(16, activation="relu") for _ in range(n - 2)]
    head = [layers.LSTM(4)] if broken else [layers.Dense(4)]
    return [keras.Input((16,)), *body, *head, layers.Dense(1)]


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def build_twice(n: int) -> None:
    for _ in range(2):
        keras.Sequential(deep_stack(n, broken=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"# {' '.join(sys.argv)}  ({datetime.date.today()}, keras {keras.__version__}, {os.cpu_count()} cores)")
    x, y = RNG.random((32, 16)).astype("float32"), RNG.random(32).astype("float32")

    diag_t = timed(lambda: diagnose(deep_stack(args.layers, broken=True), x, y, loss="mse"), args.repeat)
    build_t = timed(lambda: build_twice(args.layers), args.repeat)
    print(f"\ndiagnose, {args.layers}-layer Sequential, fault at layer {args.layers - 1}")
    print(f"  diagnose            {diag_t:8.3f} s")
    print(f"  build the model x2  {build_t:8.3f} s")
    print(f"  ratio               {diag_t / build_t:8.2f}   (target: well under 1)")

    print("\nsuggest_fixes against one fit step on the same sample (missing Flatten)")
    print(f"  {'model':<10} {'params':>9} {'suggest_fixes':>14} {'1 fit step':>11} {'ratio':>7}")
    for name, filters in (("small", 8), ("large", 128)):
        def make(filters=filters):
            m = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(filters, 3, activation="relu"),
                                  layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(),
                                  layers.Dense(10, activation="softmax")])
            m.compile("adam", "sparse_categorical_crossentropy")
            return m

        xi, yi = RNG.random((32, 32, 32, 3)).astype("float32"), RNG.integers(0, 10, 32)
        plan_t = timed(lambda xi=xi, yi=yi: suggest_fixes(make(), xi, yi), args.repeat)

        def one_step(filters=filters, xi=xi, yi=yi):
            good = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(filters, 3, activation="relu"),
                                     layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(),
                                     layers.Flatten(), layers.Dense(10, activation="softmax")])
            good.compile("adam", "sparse_categorical_crossentropy")
            good.fit(xi, yi, epochs=1, batch_size=32, verbose=0)
            return good

        step_t = timed(one_step, args.repeat)
        params = one_step().count_params()
        print(f"  {name:<10} {params:>9,} {plan_t:>13.3f}s {step_t:>10.3f}s {plan_t / step_t:>7.2f}")


if __name__ == "__main__":
    main()
