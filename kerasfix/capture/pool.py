"""Warm workers for capture runs: TensorFlow is imported once per session, not once per run.

The parent's side of ``kerasfix.capture.server``. A ``Pool`` starts one server process on
first use; the server imports Keras (and whatever else ``preload`` names) and forks one
child per ``Request``, which runs ``target(payload)`` and exits. So each run costs a
fork (milliseconds) instead of an interpreter start and a TensorFlow import (~2.5 s), and
still gets a process of its own: a run that crashes, hangs or changes global state takes
nothing else down with it (``bench/worker.py`` measures both).

Runs are reported, never raised: ``ok`` (the target returned), ``timeout`` (killed, with
its process group, at its timeout), ``crashed`` (died without a result: a segfault,
``os.abort()``, ``os._exit(3)``, the OOM killer) and ``worker_error`` (the server itself
died or could not start). A run in flight when its server died is reported as
``worker_error``, not retried: the cause is unknown and a script may have side effects.
The next ``run`` starts a new server.

This module never imports TensorFlow, Keras or numpy: only the server does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any, Literal

from kerasfix.capture.server import Tail

#: How long the server may take to import its preload (TensorFlow takes ~2.5 s on an idle machine).
START_TIMEOUT = 180.0
#: How long past a run's own timeout the server may stay silent before it is presumed stuck and killed.
_GRACE = 30.0
#: How long a closing server gets to kill its runs and exit before it is killed.
_STOP_WAIT = 10.0

Status = Literal["ok", "timeout", "crashed", "worker_error"]


@dataclass(frozen=True)
class Request:
    """One run: ``target(payload)`` in a child with this cwd, argv and extra environment."""

    #: ``"module:function"``; the function takes the payload and returns a JSON-able dict.
    target: str
    payload: dict[str, Any]
    cwd: str
    argv: tuple[str, ...]
    #: Seconds; the run's whole process group is killed after it.
    timeout: float
    #: Set in the child before the target is called (after the preload: too late for
    #: variables read at import, such as ``KERAS_BACKEND``; give those to the ``Pool``).
    env: Mapping[str, str] = field(default_factory=dict)
    #: Runs with the same key share a folder that lasts as long as the worker, given to the target as the
    #: payload's ``scratch`` (e.g. one script's runs: what the first compiled, the next finds).
    scratch: str = ""


@dataclass(frozen=True)
class Response:
    """How one run ended."""

    status: Status
    #: What the target returned (status ``ok``). An exception escaping the target is
    #: ``{"status": "internal_error", "error": ..., "traceback": ...}``.
    result: dict[str, Any] | None
    #: For ``crashed``: the exit code, or ``-signal``.
    exit_code: int | None
    #: The last ~4000 bytes of the run's stdout and stderr (for ``worker_error``: why, and the server's).
    output: str
    seconds: float


class Pool:
    """Runs requests in children forked from one warm server, at most ``jobs`` at a time.

    ``run`` is thread-safe and blocking; ``map`` keeps ``jobs`` runs going and yields in
    input order. ``env`` is added to this process's environment for the server (and so for
    every run). Close it, or use it as a context manager: that kills everything it started.
    """

    def __init__(
        self,
        jobs: int = 1,
        *,
        preload: tuple[str, ...] = ("keras",),
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self._jobs = jobs
        self._slots = threading.Semaphore(jobs)
        self._jobs_lock = threading.Lock()
        self._servers = _Servers(python, tuple(preload), _server_env(env))
        # Also at interpreter exit, and when the pool is dropped unclosed.
        self._finalizer = weakref.finalize(self, self._servers.close)

    @property
    def jobs(self) -> int:
        return self._jobs

    @property
    def closed(self) -> bool:
        return self._servers.closed

    def start(self) -> None:
        """Start the server now, without waiting for it: its Keras import then overlaps the caller's own work.

        Idempotent; a later ``run`` waits for the import as usual (and replaces a server that has died).
        """
        self._servers.start()

    def run(self, request: Request) -> Response:
        """Run one request and report how it ended; raises only for a closed pool or a payload that is not JSON."""
        with self._slots:
            return self._servers.get().run(request)

    def map(self, requests: Iterable[Request]) -> Iterator[Response]:
        """The responses to ``requests``, in their order, ``jobs`` runs at a time."""
        with ThreadPoolExecutor(self._jobs, thread_name_prefix="kerasfix-pool") as executor:
            window: deque[Future[Response]] = deque()
            try:
                for request in requests:
                    window.append(executor.submit(self.run, request))
                    if len(window) > 2 * self._jobs:  # read ``requests`` lazily, a little ahead
                        yield window.popleft().result()
                while window:
                    yield window.popleft().result()
            finally:
                for future in window:
                    future.cancel()

    def close(self) -> None:
        """Kill the server and every run it has going (those report ``worker_error``), remove temp files."""
        self._finalizer()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _grow(self, jobs: int) -> None:
        with self._jobs_lock:
            for _ in range(jobs - self._jobs):
                self._slots.release()
            self._jobs = max(self._jobs, jobs)


#: The process's pools by what they preload: a cache of warm servers (a resource, closed at exit), not state.
_shared: dict[tuple[str, ...], Pool] = {}
_shared_lock = threading.Lock()


def shared_pool(jobs: int = 1, *, preload: tuple[str, ...] = ("keras",)) -> Pool:
    """This process's pool preloading ``preload``, created on first use and closed at exit.

    Asked again with more ``jobs``, it allows that many; it never shrinks.
    """
    with _shared_lock:
        pool = _shared.get(preload)
        if pool is None or pool.closed or not pool._servers.owned:
            pool = _shared[preload] = Pool(jobs, preload=preload)  # a forked copy of this process needs its own
        elif jobs > pool.jobs:
            pool._grow(jobs)
        return pool


class _Servers:
    """The pool's current server: started on demand, replaced when it has died."""

    def __init__(self, python: str, preload: tuple[str, ...], env: dict[str, str]) -> None:
        self._python = python
        self._preload = preload
        self._env = env
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._current: _Server | None = None
        self.closed = False

    @property
    def owned(self) -> bool:
        return os.getpid() == self._owner

    def start(self) -> _Server:
        """The current server, started (not waited for) if there is none or it has died."""
        with self._lock:
            if self.closed:
                raise RuntimeError("the pool is closed")
            if self._current is None or self._current.dead:
                if self._current is not None:
                    self._current.stop()
                self._current = _Server(self._python, self._preload, self._env)
            return self._current

    def get(self) -> _Server:
        server = self.start()
        server.wait_ready()
        return server

    def close(self) -> None:
        with self._lock:
            self.closed = True
            server, self._current = self._current, None
        if server is not None:
            server.stop()


class _Pending:
    """A run sent to the server and not yet answered."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.pid: int | None = None
        self.message: dict[str, Any] | None = None  # the server's "done" message; None if the server was lost


class _Server:
    """One server process, the thread that reads its messages, and the runs it has in flight."""

    def __init__(self, python: str, preload: tuple[str, ...], env: dict[str, str]) -> None:
        self._owner = os.getpid()
        self.dir = tempfile.mkdtemp(prefix="kerasfix-pool-")
        ours, theirs = socket.socketpair()
        try:
            self.proc = subprocess.Popen(
                [python, "-m", "kerasfix.capture.server", "--fd", str(theirs.fileno()), "--dir", self.dir,
                 "--preload", ",".join(preload)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, pass_fds=(theirs.fileno(),),
            )
        except BaseException:
            ours.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        finally:
            theirs.close()
        self._sock = ours
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()  # guards _pending and dead
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._ready = threading.Event()
        self.dead = False
        #: Why this server cannot serve (set once, by whoever notices first).
        self.failure: str | None = None
        self.threads: int | None = None
        assert self.proc.stdout is not None
        # TensorFlow prints at import: the server's output goes to a tail of its own, never to ours.
        self._output = _Drain(self.proc.stdout)
        self._output.start()
        self._reader = threading.Thread(target=self._read, name="kerasfix-pool-reader", daemon=True)
        self._reader.start()

    def wait_ready(self) -> None:
        if not self._ready.wait(START_TIMEOUT):
            self.kill(f"the kerasfix worker did not finish importing {START_TIMEOUT:g} s after it started")
            self._ready.wait(_STOP_WAIT)

    def run(self, request: Request) -> Response:
        started = time.monotonic()
        run_id = next(self._ids)
        line = json.dumps({
            "id": run_id, "target": request.target, "payload": request.payload, "cwd": os.path.abspath(request.cwd),
            "argv": list(request.argv), "env": dict(request.env), "timeout": float(request.timeout),
            "scratch": request.scratch,
        }).encode("utf-8") + b"\n"
        pending = _Pending()
        with self._lock:
            if self.dead:
                return self._lost_response(started)
            self._pending[run_id] = pending
        try:
            with self._send_lock:
                self._sock.sendall(line)
        except OSError:
            pass  # the server is gone: the reader sees that and answers every pending run
        if not pending.event.wait(min(request.timeout + _GRACE, threading.TIMEOUT_MAX)):
            self.kill(f"the kerasfix worker did not answer {_GRACE:g} s after a run's timeout")
            pending.event.wait(_STOP_WAIT)
        result_path = os.path.join(self.dir, f"{run_id}.json")
        try:
            return self._response(pending.message, result_path, started)
        finally:
            for path in (result_path, result_path + ".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(path)

    def _response(self, message: dict[str, Any] | None, result_path: str, started: float) -> Response:
        if message is None:
            return self._lost_response(started)
        if "error" in message:
            return Response("worker_error", None, None, str(message["error"]), round(time.monotonic() - started, 4))
        output, seconds, code = str(message["output"]), float(message["seconds"]), int(message["exit"])
        if message["timed_out"]:
            return Response("timeout", None, None, output, seconds)
        if code != 0 or not os.path.exists(result_path):
            return Response("crashed", None, code, output, seconds)
        try:
            with open(result_path, encoding="utf-8") as fh:
                result = json.load(fh)
        except (OSError, ValueError) as exc:
            return Response("worker_error", None, None, f"the run's result could not be read: {exc}\n{output}",
                            seconds)
        return Response("ok", result, None, output, seconds)

    def _lost_response(self, started: float) -> Response:
        reason = self.failure or "the kerasfix worker process was lost"
        server_output = self._output.text()
        output = f"{reason}\n{server_output}" if server_output else reason
        return Response("worker_error", None, None, output, round(time.monotonic() - started, 4))

    def _read(self) -> None:
        try:
            with self._sock.makefile("rb") as lines:
                for line in lines:
                    self._dispatch(json.loads(line))
        except (OSError, ValueError):
            pass
        self._lost()

    def _dispatch(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "ready":
            self.threads = int(message["threads"])
            self._ready.set()
        elif event == "failed":
            self.failure = self.failure or f"the kerasfix worker could not start: {message['error']}"
        elif event == "started":
            with self._lock:
                if (pending := self._pending.get(int(message["id"]))) is not None:
                    pending.pid = int(message["pid"])
        elif event == "done":
            with self._lock:
                pending = self._pending.pop(int(message["id"]), None)
            if pending is not None:
                pending.message = message
                pending.event.set()

    def _lost(self) -> None:
        """The server's socket closed: it exited, was killed, or was stopped. Answer every pending run."""
        with self._lock:
            self.dead = True
            pending, self._pending = list(self._pending.values()), {}
        code: int | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = self.proc.wait(_STOP_WAIT)
        if self.failure is None:
            self.failure = f"the kerasfix worker process {_ended(code)}"
        for run in pending:
            if run.pid is not None:
                _kill_group(run.pid)  # its child died with the server; a script's grandchildren may not have
            run.event.set()
        self._ready.set()

    def kill(self, reason: str) -> None:
        if self.failure is None:
            self.failure = reason
        _kill_group(self.proc.pid)  # the server's own session: its runs are in theirs, and die with it

    def stop(self) -> None:
        """Close the socket (the server then kills its runs, removes its files and exits), and wait for that."""
        if os.getpid() != self._owner:  # a forked copy of the parent: the server is not ours to stop
            return
        if self.failure is None:
            self.failure = "the pool was closed while the run was going"
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        try:
            self.proc.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc.pid)
            self.proc.wait()
        self._reader.join(_STOP_WAIT)
        self._output.join(_STOP_WAIT)
        self._sock.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Drain(threading.Thread):
    """Keeps the tail of the server's own output (TensorFlow's import messages, a preload traceback)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(name="kerasfix-pool-output", daemon=True)
        self._fd = stream.fileno()
        self._tail = Tail()
        self._lock = threading.Lock()

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self._tail.add(chunk)

    def text(self) -> str:
        with self._lock:
            return self._tail.text().strip()


def _server_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["PYTHONWARNINGS"] = "ignore"
    env.update(extra or {})
    return env


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _ended(code: int | None) -> str:
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited (code {code})"
