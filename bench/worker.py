"""One TensorFlow import per session: a fork server against in-process reuse against today's fresh interpreter.

    python bench/worker.py                 # ~4 min on 2 idle cores
    python bench/worker.py --repeat 2 --part speed

Three ways to run the same five small scripts (each builds a small model and fits one batch; the
fifth fails at ``fit`` like the scripts kerasfix repairs):

fresh  ``python script.py`` per run: what kerasfix does today (an interpreter start and a TensorFlow import per run).
fork   (a) ``kerasfix.capture.pool.Pool``: one server imports Keras once and forks a child per run.
reuse  (b) one worker process per job runs the scripts one after another in the same interpreter, with a fresh
       ``__main__`` namespace, ``keras.backend.clear_session()`` and cwd/env/sys.path/sys.argv/sys.modules restored.

``speed`` prints the one-off start-up, the cost of the first two runs including it (``kerasfix apply`` on one
file: the original, then the patched script), then runs/second and the median run over ``5 x --repeat`` runs at
jobs=1 and 2 (``fork x2`` is two single-job servers, to compare forking two runs from one server), and the
median CPU time of a run (user + system, all its threads: for ``fresh`` the whole interpreter, for ``fork`` and
``reuse`` the script in the warm process), which other work on the machine disturbs far less than wall time.
``isolation`` runs, for (a) and (b), a script that changes one piece of global state between two runs of a
script that looks at it, and says whether the second run saw the change. ``stress`` sends many mixed runs
(the scripts, crashes, hangs, floods of output, stray grandchildren) two at a time through one fork server and
counts the runs that did not end as they should.

Also imported by the pool's server as the module ``worker`` (the target ``worker:run_script``), so its top
level imports nothing heavy.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import queue
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

SCRIPTS = {
    "mlp": """
import numpy as np
import keras
x = np.random.rand(256, 20).astype("float32")
y = np.random.randint(0, 3, 256)
model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=256, verbose=0)
""",
    "cnn": """
import numpy as np
import keras
from keras import layers
x = np.random.rand(64, 28, 28, 1).astype("float32")
y = np.random.randint(0, 10, 64)
model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                          layers.Flatten(), layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=64, verbose=0)
""",
    "lstm": """
import numpy as np
import keras
x = np.random.rand(64, 10, 8).astype("float32")
y = np.random.rand(64, 1).astype("float32")
model = keras.Sequential([keras.Input((10, 8)), keras.layers.LSTM(16), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=64, verbose=0)
""",
    "functional": """
import numpy as np
import keras
from keras import layers
a, b = keras.Input((12,)), keras.Input((6,))
h = layers.Concatenate()([layers.Dense(16, activation="relu")(a), layers.Dense(8, activation="relu")(b)])
model = keras.Model([a, b], layers.Dense(1, activation="sigmoid")(h))
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([np.random.rand(64, 12), np.random.rand(64, 6)], np.random.randint(0, 2, (64, 1)), epochs=1,
          batch_size=64, verbose=0)
""",
    "broken_cnn": """
import numpy as np
import keras
from keras import layers
x = np.random.rand(64, 28, 28, 1).astype("float32")
y = np.random.randint(0, 10, 64)
model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu"), layers.MaxPooling2D(),
                          layers.Dense(10, activation="softmax")])  # no Flatten: fit raises
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=64, verbose=0)
""",
}


# --- the target run in every mode ----------------------------------------------------------------


def run_script(payload: dict[str, Any]) -> dict[str, Any]:
    """Run ``payload["script"]`` as ``__main__``; report how it ended and its ``OBSERVED`` global, if any."""
    import resource
    import runpy

    before = resource.getrusage(resource.RUSAGE_SELF)
    try:
        namespace = runpy.run_path(payload["script"], run_name="__main__")
        result = {"status": "ok", "observed": namespace.get("OBSERVED")}
    except BaseException as exc:  # the script failing is a result, not our failure
        result = {"status": "error", "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    after = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result


def noop(payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok"}


# --- the three modes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # ok / error (the script raised) / timeout / crashed
    result: dict[str, Any] | None
    seconds: float  # wall time seen by the caller
    #: CPU seconds (user + system, all threads) of the run itself: for ``fresh`` the whole interpreter
    #: (start, imports, script); for ``fork`` and ``reuse`` the script, in the warm process. Far less
    #: sensitive than wall time to other work on the machine.
    cpu: float | None = None


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["PYTHONWARNINGS"] = "ignore"
    return env


class Fresh:
    """``python script.py``, one interpreter per run."""

    name = "fresh"

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs

    def start(self) -> None:
        pass

    def run(self, script: str, timeout: float = 120.0) -> Outcome:  # the scripts timed here never hang
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, script], cwd=os.path.dirname(script), env=child_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: this run's own CPU time, whatever runs beside it
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        outcome = "ok" if code == 0 else "error" if code == 1 else "crashed"
        return Outcome(outcome, None, seconds, usage.ru_utime + usage.ru_stime)

    def close(self) -> None:
        pass


class Fork:
    """(a) ``kerasfix.capture.pool``: children forked from one (or ``servers``) warm server."""

    def __init__(self, jobs: int, servers: int = 1) -> None:
        from kerasfix.capture.pool import Pool

        self.jobs = jobs
        self.name = "fork" if servers == 1 else f"fork x{servers}"
        per = jobs if servers == 1 else 1
        env = {"PYTHONPATH": os.pathsep.join(p for p in (str(BENCH), os.environ.get("PYTHONPATH")) if p)}
        self.pools = [Pool(per, preload=("keras", "worker"), env=env) for _ in range(servers)]
        self._free: queue.Queue[Any] = queue.Queue()
        for pool in self.pools:
            for _ in range(per):
                self._free.put(pool)

    def _request(self, target: str, payload: dict[str, Any], timeout: float) -> Any:
        from kerasfix.capture.pool import Request

        script = payload.get("script")
        return Request(target, payload, os.path.dirname(script) if script else str(BENCH),
                       (script or "noop",), timeout)

    def start(self) -> None:
        with ThreadPoolExecutor(len(self.pools)) as ex:  # the servers import side by side
            list(ex.map(lambda pool: pool.run(self._request("worker:noop", {}, 60.0)), self.pools))

    def run(self, script: str, timeout: float = 120.0) -> Outcome:
        pool = self._free.get()
        try:
            t0 = time.perf_counter()
            r = pool.run(self._request("worker:run_script", {"script": script}, timeout))
            seconds = time.perf_counter() - t0
        finally:
            self._free.put(pool)
        if r.status != "ok":
            return Outcome(r.status if r.status != "crashed" else f"crashed ({r.exit_code})", None, seconds)
        return Outcome(r.result["status"], r.result, seconds, r.result.get("cpu"))

    def close(self) -> None:
        for pool in self.pools:
            pool.close()


class _ReuseWorker:
    """One process that imports Keras, then runs request after request in its own interpreter."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--reuse-worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env(),
                                     start_new_session=True)
        assert self._read(600) == {"ready": True}

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The next answer; ``{}`` if the worker died (its pipe closed), None if it said nothing in time."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {}

    def run(self, request: dict[str, Any], timeout: float) -> tuple[str, dict[str, Any] | None]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            return "crashed (worker died)", None
        answer = self._read(timeout)
        if answer:
            return "answered", answer
        if answer is None:
            self.kill()
            return "timeout", None
        return f"crashed ({self.proc.wait()}, worker died)", None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class Reuse:
    """(b) one worker per job, reused run after run; a worker that crashed or timed out is replaced."""

    name = "reuse"

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._free: queue.Queue[_ReuseWorker | None] = queue.Queue()
        for _ in range(jobs):
            self._free.put(None)
        self._all: list[_ReuseWorker] = []

    def start(self) -> None:
        workers = [self._free.get() for _ in range(self.jobs)]
        with ThreadPoolExecutor(self.jobs) as ex:
            started = list(ex.map(lambda _: _ReuseWorker(), workers))
        self._all += started
        for w in started:
            self._free.put(w)

    def run(self, script: str, timeout: float = 120.0) -> Outcome:
        worker = self._free.get()
        t0 = time.perf_counter()
        try:
            if worker is None or not worker.alive:
                worker = _ReuseWorker()  # the cost of a crash or hang under (b): a fresh import
                self._all.append(worker)
            status, answer = worker.run({"script": script, "cwd": os.path.dirname(script),
                                         "argv": [script]}, timeout)
        finally:
            self._free.put(worker)
        seconds = time.perf_counter() - t0
        if answer is None:
            return Outcome(status, None, seconds)
        return Outcome(answer["status"], answer, seconds, answer.get("cpu"))

    def close(self) -> None:
        for w in self._all:
            if w.alive:
                w.kill()


def reuse_worker_main() -> None:
    """The (b) worker: requests on stdin, answers on the real stdout; the scripts' output goes nowhere."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (1, 2):
        os.dup2(null, fd)
    import keras  # noqa: F401
    import tensorflow  # noqa: F401

    proto.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        proto.write(json.dumps(_reuse_one(json.loads(line))) + "\n")


def _reuse_one(request: dict[str, Any]) -> dict[str, Any]:
    import keras

    cwd, env, path, argv, modules = os.getcwd(), dict(os.environ), list(sys.path), list(sys.argv), set(sys.modules)
    try:
        os.chdir(request["cwd"])
        sys.argv = list(request["argv"])
        return run_script({"script": request["script"]})
    finally:
        keras.backend.clear_session()
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = path
        sys.argv = argv
        for name in set(sys.modules) - modules:
            del sys.modules[name]


# --- the measurements ----------------------------------------------------------------------------


def header(argv: list[str]) -> str:
    from importlib.metadata import version

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    dirty = " (+uncommitted changes)" if git("status", "--porcelain", "kerasfix", "bench/worker.py") else ""
    cmd = " ".join(["python", os.path.relpath(argv[0], ROOT), *argv[1:]])
    return (f"$ {cmd}\n# {datetime.datetime.now().isoformat(timespec='seconds')}  kerasfix @ "
            f"{git('rev-parse', '--short', 'HEAD')}{dirty}  keras {version('keras')}  tensorflow "
            f"{version('tensorflow')}  python {sys.version.split()[0]}  cpus {os.cpu_count()}  load "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def write_scripts(tmp: Path) -> dict[str, str]:
    paths = {}
    for name, text in SCRIPTS.items():
        path = tmp / name / "train.py"  # a folder each, as separate projects would be
        path.parent.mkdir()
        path.write_text(text.lstrip(), encoding="utf-8")
        paths[name] = str(path)
    return paths


def timed_map(mode: Any, scripts: list[str]) -> tuple[float, list[Outcome]]:
    t0 = time.perf_counter()
    with ThreadPoolExecutor(mode.jobs) as ex:
        outcomes = list(ex.map(mode.run, scripts))
    return time.perf_counter() - t0, outcomes


def speed(paths: dict[str, str], repeat: int) -> None:
    print(f"\n## speed: {len(paths)} scripts x {repeat} = {len(paths) * repeat} runs per line")
    print(f"{'mode':10} {'jobs':>4} {'start s':>8} {'2 runs+start s':>14} {'runs/s':>7} {'median run s':>12} "
          f"{'x fresh':>7} {'median cpu s':>12}  statuses")
    order = list(paths.values()) * repeat
    fresh_rate: dict[int, float] = {}
    factories: list[Callable[[], Any]] = [
        lambda: Fresh(1), lambda: Fork(1), lambda: Reuse(1),
        lambda: Fresh(2), lambda: Fork(2), lambda: Fork(2, servers=2), lambda: Reuse(2),
    ]
    for make in factories:
        t0 = time.perf_counter()
        mode = make()
        try:
            mode.start()
            start = time.perf_counter() - t0
            first_two = [mode.run(paths["broken_cnn"]), mode.run(paths["cnn"])]
            apply_cost = time.perf_counter() - t0
            wall, outcomes = timed_map(mode, order)
        finally:
            mode.close()
        rate = len(order) / wall
        if mode.name == "fresh":
            fresh_rate[mode.jobs] = rate
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(_count(o.status for o in outcomes + first_two).items()))
        print(f"{mode.name:10} {mode.jobs:>4} {start:>8.2f} {apply_cost:>14.2f} {rate:>7.2f} "
              f"{statistics.median(o.seconds for o in outcomes):>12.3f} {rate / fresh_rate[mode.jobs]:>7.1f} "
              f"{statistics.median(o.cpu or 0.0 for o in outcomes):>12.3f}  {statuses}",
              flush=True)


def _count(items: Iterator[str] | Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


#: (probe, the script that changes something, the script that looks, its timeout)
PROBES: list[tuple[str, str, str, float]] = [
    ("image_data_format", 'import keras\nkeras.config.set_image_data_format("channels_first")',
     "import keras\nOBSERVED = keras.config.image_data_format()", 60),
    ("floatx", 'import keras\nkeras.config.set_floatx("float16")', "import keras\nOBSERVED = keras.config.floatx()", 60),
    ("run_functions_eagerly", "import tensorflow as tf\ntf.config.run_functions_eagerly(True)",
     "import tensorflow as tf\nOBSERVED = tf.config.functions_run_eagerly()", 60),
    ("os.chdir", 'import os\nos.chdir("/")', "import os\nOBSERVED = os.getcwd()", 60),
    ("module-level global", "LEAK = 1", 'OBSERVED = "LEAK" in globals()', 60),
    ("attribute on an imported module", "import json\njson.LEAK = 1", 'import json\nOBSERVED = hasattr(json, "LEAK")', 60),
    ("monkeypatch keras.layers.Dense", 'import keras\nkeras.layers.Dense = type("NotDense", (), {})',
     "import keras\nOBSERVED = keras.layers.Dense.__name__", 60),
    ("layer name counter", "import keras\n[keras.layers.Dense(1) for _ in range(5)]",
     "import keras\nOBSERVED = keras.layers.Dense(1).name", 60),
    ("thread left running", 'import threading, time\nthreading.Thread(target=time.sleep, args=(3600,), name="leak").start()',
     'import threading\nOBSERVED = [t.name for t in threading.enumerate() if t.name == "leak"]', 60),
    ("os.abort()", "import os\nos.abort()", 'OBSERVED = "alive"', 60),
    ("infinite loop (timeout 3 s)", "while True:\n    pass", 'OBSERVED = "alive"', 3),
]


def isolation(tmp: Path) -> None:
    print("\n## isolation: run the probe's checker, then the polluter, then the checker again in the same worker")
    print(f"{'probe':32} {'(a) fork server':44} {'(b) in-process reuse':44}")
    fork = Fork(1)
    fork.start()
    try:
        for i, (probe, polluter, checker, timeout) in enumerate(PROBES):
            pol, chk = tmp / f"p{i}" / "polluter.py", tmp / f"p{i}" / "checker.py"
            pol.parent.mkdir()
            pol.write_text(polluter + "\n", encoding="utf-8")
            chk.write_text(checker + "\n", encoding="utf-8")
            reuse = Reuse(1)
            reuse.start()  # a new (b) worker per probe, so that one probe's leak does not spoil the next
            try:
                cells = [_probe(mode, str(pol), str(chk), timeout) for mode in (fork, reuse)]
            finally:
                reuse.close()
            print(f"{probe:32} {cells[0]:44} {cells[1]:44}", flush=True)
    finally:
        fork.close()


def _probe(mode: Any, polluter: str, checker: str, timeout: float) -> str:
    before = mode.run(checker)
    changed = mode.run(polluter, timeout)
    after = mode.run(checker)
    seen = (after.result or {}).get("observed")
    if changed.status not in ("ok", "error"):
        return f"{changed.status}; next run ok in {after.seconds:.2f} s" if after.status == "ok" else \
            f"{changed.status}; next run {after.status}"
    if after.status != "ok":
        return f"next run {after.status}"
    was = (before.result or {}).get("observed")
    return "isolated" if seen == was else f"LEAKS: {was!r} -> {seen!r}"


#: (name, script, timeout, the status it must end with) for the stress part.
STRESS = [
    ("abort", "import os\nos.abort()", 60, "crashed (-6)"),
    ("exit3", "import os\nos._exit(3)", 60, "crashed (3)"),
    ("hang", "import time\ntime.sleep(600)", 1, "timeout"),
    ("chatter", "for i in range(300_000):\n    print(i)", 60, "ok"),
    ("grandchild", "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])",
     60, "ok"),
]


def stress(tmp: Path, paths: dict[str, str], runs: int) -> None:
    """Many mixed runs, two at a time from one server: does every run end the way it should?"""
    print(f"\n## stress: {runs} runs at jobs=2 from one fork server, the five scripts mixed with crashes, "
          "hangs, floods and stray grandchildren")
    expected = {path: ("error" if name == "broken_cnn" else "ok") for name, path in paths.items()}
    timeouts = {path: 120.0 for path in paths.values()}
    for name, text, timeout, status in STRESS:
        path = tmp / f"{name}.py"
        path.write_text(text + "\n", encoding="utf-8")
        expected[str(path)], timeouts[str(path)] = status, timeout
    order = [list(expected)[i % len(expected)] for i in range(runs)]
    fork = Fork(2)
    try:
        fork.start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(2) as ex:
            outcomes = list(ex.map(lambda p: fork.run(p, timeouts[p]), order))
        wall = time.perf_counter() - t0
    finally:
        fork.close()
    wrong = [(os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p), o.status)
             for p, o in zip(order, outcomes, strict=True) if o.status != expected[p]]
    print(f"{runs} runs in {wall:.1f} s; ended as expected: {runs - len(wrong)}/{runs}"
          f"{'; unexpected: ' + repr(wrong[:5]) if wrong else ''}")


def main() -> None:
    if sys.argv[1:] == ["--reuse-worker"]:
        reuse_worker_main()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=4, help="runs of each script per line (default 4)")
    parser.add_argument("--part", choices=("speed", "isolation", "stress", "all"), default="all")
    parser.add_argument("--stress-runs", type=int, default=60)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    print(header(sys.argv))
    with tempfile.TemporaryDirectory(prefix="kerasfix-bench-") as tmp:
        paths = write_scripts(Path(tmp))
        if args.part in ("speed", "all"):
            speed(paths, args.repeat)
        if args.part in ("isolation", "all"):
            (Path(tmp) / "isolation").mkdir()
            isolation(Path(tmp) / "isolation")
        if args.part in ("stress", "all"):
            stress(Path(tmp), paths, args.stress_runs)


if __name__ == "__main__":
    main()
