"""Targets for ``test_pool.py``: each is ``function(payload) -> dict``, run in a pool's child process.

Importable by the pool's server because the tests put this directory on its ``PYTHONPATH``.
Keras is imported only inside the targets that need it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from typing import Any

#: Set by ``pollute``; a later run must see it unset again.
COUNTER = 0


def echo(payload: dict[str, Any]) -> dict[str, Any]:
    """What the run sees: its payload, cwd, argv and the environment variables asked for."""
    print("echo", payload.get("say", ""))
    return {
        "payload": payload,
        "cwd": os.getcwd(),
        "argv": sys.argv,
        "env": {name: os.environ.get(name) for name in payload.get("env", [])},
    }


def scratch(payload: dict[str, Any]) -> dict[str, Any]:
    """What the run's scratch folder held when it started, then leave a note of its own there."""
    folder = payload.get("scratch")
    if not folder:
        return {"folder": None, "found": []}
    found = sorted(os.listdir(folder))
    with open(os.path.join(folder, f"note-{os.getpid()}"), "w") as fh:
        fh.write(payload.get("say", ""))
    return {"folder": folder, "found": found}


def chatter(payload: dict[str, Any]) -> dict[str, Any]:
    """Print far more than the tail keeps, with a marker at the very end."""
    line = "x" * 99 + "\n"
    for _ in range(int(payload["lines"])):
        sys.stdout.write(line)
    print("THE END", flush=True)
    return {"printed": int(payload["lines"]) * 100}


def hang(payload: dict[str, Any]) -> dict[str, Any]:
    """Start a grandchild, write the pids to ``payload["pidfile"]``, then never return."""
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    tmp = payload["pidfile"] + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(f"{os.getpid()} {grandchild.pid} {os.getppid()}")
    os.replace(tmp, payload["pidfile"])
    print("hanging", flush=True)
    while True:
        time.sleep(0.1)


def abort(payload: dict[str, Any]) -> dict[str, Any]:
    print("about to abort", flush=True)
    os.abort()


def exit3(payload: dict[str, Any]) -> dict[str, Any]:
    print("about to exit", flush=True)
    os._exit(3)


def boom(payload: dict[str, Any]) -> dict[str, Any]:
    raise ValueError("boom")


def not_a_dict(payload: dict[str, Any]) -> Any:
    return [1, 2, 3]


def big(payload: dict[str, Any]) -> dict[str, Any]:
    return {"data": "y" * int(payload["size"])}


def server_pid(payload: dict[str, Any]) -> dict[str, Any]:
    return {"server": os.getppid(), "child": os.getpid()}


def pollute(payload: dict[str, Any]) -> dict[str, Any]:
    """Change every piece of global state a run could leak to the next one, then report it."""
    global COUNTER
    import keras
    import tensorflow as tf

    COUNTER += 1
    keras.config.set_image_data_format("channels_first")
    keras.config.set_floatx("float16")
    tf.config.run_functions_eagerly(True)

    class NotDense:
        pass

    keras.layers.Dense = NotDense
    os.environ["KERASFIX_POOL_LEAK"] = "1"
    sys.argv.append("--leaked")
    sys.path.insert(0, "/leaked")
    os.chdir("/")
    threading.Thread(target=time.sleep, args=(600,), name="kerasfix-leak").start()
    return observe(payload)


def observe(payload: dict[str, Any]) -> dict[str, Any]:
    import keras
    import tensorflow as tf

    return {
        "counter": COUNTER,
        "image_data_format": keras.config.image_data_format(),
        "floatx": keras.config.floatx(),
        "eager": tf.config.functions_run_eagerly(),
        "dense": keras.layers.Dense.__name__,
        "env": os.environ.get("KERASFIX_POOL_LEAK"),
        "argv": sys.argv,
        "leaked_path": "/leaked" in sys.path,
        "cwd": os.getcwd(),
        "threads": sorted(t.name for t in threading.enumerate() if t.name == "kerasfix-leak"),
    }


def fit(payload: dict[str, Any]) -> dict[str, Any]:
    """Fit a tiny model on one batch: TensorFlow really runs in the child."""
    import keras
    import numpy as np

    keras.utils.set_random_seed(int(payload.get("seed", 0)))
    x = np.random.rand(16, 4).astype("float32")
    y = np.arange(16) % 3
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    return {"loss": round(float(history.history["loss"][0]), 5)}
