"""The fork server behind ``kerasfix.capture.pool``: import Keras once, then fork one child per run.

Started by the pool (never by hand) as::

    python -m kerasfix.capture.server --fd FD --dir DIR [--preload keras,kerasfix.capture.child]

It imports the ``--preload`` modules, then serves requests arriving on the socket ``FD``
until that socket closes. It never runs a TensorFlow op itself: TensorFlow creates its
thread pools on the first op, and a process that forks must not have threads that could
hold a lock at the moment of the fork. Each child therefore starts with Keras imported
but nothing initialised, runs exactly one request and ``os._exit``s, so whatever a run
changes (Keras config, globals, monkeypatches, cwd, threads) dies with it.

The protocol is one JSON object per line, both ways.

Parent to server, one per run::

    {"id": 7, "target": "module:function", "payload": {...}, "cwd": "/x", "argv": [...],
     "env": {...}, "timeout": 120.0, "scratch": "key"}

A non-empty ``scratch`` key names a folder under ``DIR`` that every run with that key shares (created on
first use, removed with ``DIR``); the target finds its path as the payload's ``scratch``.

Server to parent::

    {"event": "ready", "pid": 123, "seconds": 2.4, "threads": 1}    after the preload
    {"event": "failed", "error": "..."}                               the preload raised; the server exits
    {"event": "started", "id": 7, "pid": 456}                         the child is forked
    {"event": "done", "id": 7, "exit": 0, "timed_out": false, "output": "...", "seconds": 0.4}
    {"event": "done", "id": 7, "error": "could not start the run: ..."}  no fork (out of memory, processes)

The child writes what the target returned to ``DIR/<id>.json`` (via a temp name and a
rename, so a crash never leaves half a file); the parent reads and deletes it. ``exit`` is
the child's exit code, or ``-signal``. The server enforces each run's timeout, and kills the
run's whole process group when the run ends, whatever the way, so a script's grandchildren
go with it. When the socket closes (the parent closed the pool, or died), the server kills
every run still going, removes ``DIR`` and exits.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import importlib
import json
import os
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: How much of a run's output is kept: the same as ``runner``'s tail.
OUTPUT_TAIL = 4000
#: Without pidfds, how often the server looks for children that exited.
_POLL = 0.05
#: The exit code of a child that failed before it could call the target.
_SETUP_FAILED = 70


class Tail:
    """The last ``keep`` bytes of a stream, and how many came before them."""

    def __init__(self, keep: int = OUTPUT_TAIL) -> None:
        self._keep = keep
        self._buf = bytearray()
        self._total = 0

    def add(self, chunk: bytes) -> None:
        self._total += len(chunk)
        self._buf += chunk
        if len(self._buf) > 4 * self._keep:  # trim in batches, not on every chunk
            del self._buf[: -self._keep]

    def text(self) -> str:
        kept = bytes(self._buf[-self._keep:])
        dropped = self._total - len(kept)
        text = kept.decode("utf-8", errors="replace")
        return f"[… {dropped} earlier bytes of output not kept]\n{text}" if dropped else text


@dataclass
class _Run:
    """A forked child the server is responsible for until it has reaped it."""

    id: int
    pid: int
    out: int  # read end of the child's stdout+stderr pipe
    pidfd: int | None  # readable once the child has exited (None where the kernel has no pidfds)
    started: float
    deadline: float
    tail: Tail = field(default_factory=Tail)
    timed_out: bool = False


class Server:
    """The serving loop: one selector over the control socket, the runs' output pipes and their pidfds."""

    def __init__(self, sock: socket.socket, result_dir: str) -> None:
        self._sock = sock
        self._dir = result_dir
        self._sel = selectors.DefaultSelector()
        self._runs: dict[int, _Run] = {}
        self._inbox = bytearray()
        self._pid = os.getpid()
        self._path0 = sys.path[0] if sys.path else None
        self._death_signal = _death_signal()
        self._sel.register(sock, selectors.EVENT_READ, None)

    def send(self, message: dict[str, Any]) -> None:
        self._sock.sendall(json.dumps(message).encode("utf-8") + b"\n")

    def serve(self) -> None:
        try:
            while self._step():
                pass
        except ConnectionError:
            pass  # the parent went away mid-send: nobody is left to serve
        finally:
            self._shutdown()

    def _step(self) -> bool:
        for key, _ in self._sel.select(self._wait()):
            if key.data is None:
                if not self._read_control():
                    return False
            elif isinstance(key.data, _Run) and key.fd == key.data.out:
                self._drain(key.data)
        self._expire()
        self._reap()
        return True

    def _wait(self) -> float | None:
        """How long the selector may sleep: until the next deadline, and briefly if exits must be polled."""
        if not self._runs:
            return None
        now = time.monotonic()
        waits = [max(r.deadline - now, 0.0) for r in self._runs.values() if not r.timed_out]
        if any(r.pidfd is None for r in self._runs.values()):
            waits.append(_POLL)
        return min([*waits, 3600.0]) if waits else None  # capped: an infinite timeout is not a valid wait

    def _read_control(self) -> bool:
        chunk = self._sock.recv(1 << 20)
        if not chunk:
            return False
        self._inbox += chunk
        while (end := self._inbox.find(b"\n")) >= 0:
            line = bytes(self._inbox[:end])
            del self._inbox[: end + 1]
            if line.strip():
                self._start(json.loads(line))
        return True

    def _start(self, request: dict[str, Any]) -> None:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # or the child would inherit, and print, our buffered output
        try:
            read, write = os.pipe()
        except OSError as exc:  # out of file descriptors: this run fails, the server carries on
            self.send({"event": "done", "id": request["id"], "error": f"could not start the run: {exc}"})
            return
        os.set_blocking(read, False)
        try:
            pid = os.fork()
        except OSError as exc:  # out of memory or processes
            os.close(read)
            os.close(write)
            self.send({"event": "done", "id": request["id"], "error": f"could not start the run: {exc}"})
            return
        if pid == 0:  # pragma: no cover  (the child; coverage cannot follow it)
            try:
                os.close(read)
                self._child(request, write)
            finally:
                os._exit(_SETUP_FAILED)
        os.close(write)
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        now = time.monotonic()
        run = _Run(int(request["id"]), pid, read, pidfd, now, now + float(request["timeout"]))
        self._runs[pid] = run
        self._sel.register(read, selectors.EVENT_READ, run)
        if pidfd is not None:
            self._sel.register(pidfd, selectors.EVENT_READ, pid)
        self.send({"event": "started", "id": run.id, "pid": pid})

    def _drain(self, run: _Run) -> None:
        """Read what the run has printed so far; never blocks (the pipe is non-blocking)."""
        while True:
            try:
                chunk = os.read(run.out, 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                with contextlib.suppress(KeyError, ValueError):
                    self._sel.unregister(run.out)
                return
            run.tail.add(chunk)

    def _expire(self) -> None:
        now = time.monotonic()
        for run in self._runs.values():
            if not run.timed_out and now >= run.deadline:
                run.timed_out = True
                _kill_group(run.pid)

    def _reap(self) -> None:
        for pid in list(self._runs):
            try:
                exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                exited = None
            if exited is not None:
                self._finish(self._runs.pop(pid))

    def _finish(self, run: _Run) -> None:
        # The child has exited but is not reaped yet, so its pid still names its process
        # group: kill what the script left running in it before the pid can be reused.
        _kill_group(run.pid)
        _, status = os.waitpid(run.pid, 0)
        self._drain(run)
        self._close(run)
        self.send({
            "event": "done", "id": run.id, "exit": os.waitstatus_to_exitcode(status),
            "timed_out": run.timed_out, "output": run.tail.text(),
            "seconds": round(time.monotonic() - run.started, 4),
        })

    def _close(self, run: _Run) -> None:
        for fd in (run.out, run.pidfd):
            if fd is None:
                continue
            with contextlib.suppress(KeyError, ValueError):
                self._sel.unregister(fd)
            with contextlib.suppress(OSError):
                os.close(fd)

    def _shutdown(self) -> None:
        for run in self._runs.values():
            _kill_group(run.pid)
        for run in self._runs.values():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(run.pid, 0)
            self._close(run)
        self._runs.clear()
        shutil.rmtree(self._dir, ignore_errors=True)

    # --- in the child -------------------------------------------------------------

    def _child(self, request: dict[str, Any], out: int) -> None:
        """Become the run: own session, own stdio, the request's cwd/argv/env; call the target; exit."""
        os.setsid()
        if self._death_signal is not None:
            self._death_signal()  # no run outlives the server unseen
        if os.getppid() != self._pid:  # the server died before that took effect
            os._exit(_SETUP_FAILED)
        self._sel.close()
        self._sock.close()
        for run in self._runs.values():
            for fd in (run.out, run.pidfd):
                if fd is not None:
                    os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(null)
        os.close(out)
        me = os.getpid()
        result = _call(request, self._path0, self._dir)
        if os.getpid() != me:  # a process the script forked returned here: only the run itself answers
            os._exit(0)
        path = os.path.join(self._dir, f"{int(request['id'])}.json")
        _write_json(path, result)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)  # skip interpreter teardown: TensorFlow's can take seconds


def _call(request: dict[str, Any], path0: str | None, folder: str) -> dict[str, Any]:
    """``target(payload)`` with the run's cwd, argv and env; an escaping exception becomes the result."""
    try:
        payload = request["payload"]
        if request.get("scratch"):
            key = hashlib.sha1(str(request["scratch"]).encode("utf-8")).hexdigest()[:16]
            scratch = os.path.join(folder, "scratch", key)
            os.makedirs(scratch, exist_ok=True)
            payload = {**payload, "scratch": scratch}
        cwd = request["cwd"]  # absolute: the parent resolved it against its own cwd
        os.chdir(cwd)
        sys.argv = list(request["argv"])
        os.environ.update(request["env"])
        if sys.path and sys.path[0] == path0:
            sys.path[0] = cwd  # what ``python -m`` started in ``cwd`` would have
        _reseed()
        module, _, name = str(request["target"]).partition(":")
        result = getattr(importlib.import_module(module), name)(payload)
        if not isinstance(result, dict):
            raise TypeError(f"{request['target']} returned {type(result).__name__}, not a dict")
        return result
    except BaseException as exc:  # the target normally catches everything; this is the backstop
        return {"status": "internal_error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()}


def _reseed() -> None:
    """Every fork starts from the server's random state; a fresh interpreter would not.

    Python's ``random`` reseeds itself after a fork; numpy's global generator does not, so
    every run would draw the same "random" data. Reseed it from the OS, as at numpy's import.
    """
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        with contextlib.suppress(Exception):
            numpy.random.seed()


def _write_json(path: str, result: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    try:
        text = json.dumps(result, default=str)
    except (TypeError, ValueError) as exc:  # e.g. a circular structure
        text = json.dumps({"status": "internal_error", "error": f"the result is not JSON: {exc}",
                           "traceback": traceback.format_exc()})
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        # Not yet a group leader (killed between fork and setsid), or nothing left in the group.
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
    except PermissionError:
        pass


def _death_signal() -> Callable[[], object] | None:
    """What makes the kernel SIGKILL a child when the server dies (Linux ``PR_SET_PDEATHSIG``), if we have it.

    Looked up once in the server, so that each child only makes the call.
    """
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGKILL)


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kerasfix.capture.server")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--preload", default="")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    server = Server(sock, args.dir)
    started = time.monotonic()
    try:
        for name in filter(None, args.preload.split(",")):
            importlib.import_module(name)
    except BaseException as exc:  # report, rather than die with a traceback nobody reads
        with contextlib.suppress(OSError):
            server.send({"event": "failed", "error": f"importing the preload failed: {type(exc).__name__}: {exc}",
                         "traceback": traceback.format_exc()})
        shutil.rmtree(args.dir, ignore_errors=True)
        os._exit(1)
    # What the preload allocated lives as long as the server: keep the collector off it, so
    # a child's garbage collection does not write to (and so copy) every inherited page.
    gc.collect()
    gc.freeze()
    try:
        server.send({"event": "ready", "pid": os.getpid(), "seconds": round(time.monotonic() - started, 3),
                     "threads": _thread_count()})
    except OSError:
        pass
    else:
        server.serve()
    shutil.rmtree(args.dir, ignore_errors=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)  # skip interpreter teardown: TensorFlow's can take seconds


if __name__ == "__main__":
    main()
