"""Run a user's script in a child process with the capture hooks, and read back what it found.

The parent never imports TensorFlow: the child captures, diagnoses and plans,
and sends plain JSON back. The script's own output goes to a pipe of which only the
last few kilobytes are kept, so it can neither flood nor mix with ours, and its
exit cannot take us down.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from kerasfix.fix import Fix
from kerasfix.serialize import diagnosis_from_json, fix_from_json, rejected_from_json
from kerasfix.types import Diagnosis, Finding, Rejected

DEFAULT_TIMEOUT = 120.0
_OUTPUT_TAIL = 4000


class CaptureError(Exception):
    """The script could not be captured; ``str`` is the one-line reason for the user."""

    def __init__(self, message: str, output: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.output = output
        self.detail = detail


@dataclass(frozen=True)
class CaptureResult:
    """What the child found in the script."""

    diagnosis: Diagnosis | None
    fixes: tuple[Fix, ...]
    rejected: tuple[Rejected, ...]
    trains: bool | None
    loss: float | None
    method: str | None
    seconds: float
    output: str
    script_error: dict[str, Any] | None
    #: The model failed while being built, so the child could not verify its candidate
    #: fixes: the pipeline verifies them by re-running the patched script.
    verify_by_rerun: bool = False

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.diagnosis.findings if self.diagnosis is not None else ()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("CUDA_VISIBLE_DEVICES", "")
    env["PYTHONWARNINGS"] = "ignore"
    return env


def capture(
    path: str, *, source: bytes | None = None, timeout: float = DEFAULT_TIMEOUT, cwd: str | None = None
) -> CaptureResult:
    """Capture ``path`` (or ``source`` run as if it were ``path``) and return what the child found.

    Raises ``CaptureError`` with a one-line message for every way a script can
    fail to give us a model: timeout, exit, crash, no model, no data.
    """
    with tempfile.TemporaryDirectory(prefix="kerasfix-") as tmp:
        result_path = os.path.join(tmp, "result.json")
        cmd = [sys.executable, "-m", "kerasfix.capture.child", result_path, os.path.abspath(path)]
        if source is not None:
            src_path = os.path.join(tmp, "source.py")
            with open(src_path, "wb") as fh:
                fh.write(source)
            cmd.append(src_path)
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            cwd=cwd or os.getcwd(), env=_child_env(), start_new_session=True,
        )
        assert proc.stdout is not None
        tail = _Tail(proc.stdout.fileno())
        tail.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise CaptureError(
                f"the script did not reach model.fit within {timeout:g} s (timeout; raise it with --timeout)",
                tail.finish(),
            ) from None
        finally:
            _kill(proc)  # reap anything the script left running in its session
            output = tail.finish()
            if not tail.is_alive():
                proc.stdout.close()
        if not os.path.exists(result_path):
            raise CaptureError(_exit_reason(code), output)
        try:
            with open(result_path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise CaptureError(f"kerasfix could not read what the script's run found: {exc}", output) from None
    return _result(data, output)


class _Tail(threading.Thread):
    """Drains the child's output pipe, keeping only its last bytes: a script that prints
    without end can neither block on a full pipe nor fill a disk."""

    def __init__(self, fd: int, keep: int = _OUTPUT_TAIL) -> None:
        super().__init__(daemon=True)
        self._fd = fd
        self._keep = keep
        self._buf = bytearray()
        self._total = 0
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
                self._total += len(chunk)
                self._buf += chunk
                if len(self._buf) > 4 * self._keep:
                    del self._buf[: -self._keep]

    def finish(self, wait: float = 2.0) -> str:
        """The last output (after the pipe closes, or ``wait`` seconds if something still holds it open)."""
        self.join(wait)
        with self._lock:
            kept = bytes(self._buf[-self._keep:])
            dropped = self._total - len(kept)
        text = kept.decode("utf-8", errors="replace")
        return f"[… {dropped} earlier bytes of output not kept]\n{text}" if dropped else text


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the script was killed by {name} before kerasfix could capture a model"
    return f"the script exited (code {code}) before kerasfix could capture a model"


def _result(data: dict[str, Any], output: str) -> CaptureResult:
    status = data.get("status")
    err = data.get("script_error")
    if status == "internal_error":
        raise CaptureError(f"kerasfix failed while analysing the script: {data.get('error')}", output,
                           data.get("traceback", ""))
    if status == "script_error":
        if err and err.get("type") == "SystemExit":
            raise CaptureError(f"{err['message']} before kerasfix could capture a model", output)
        where = f" (line {err['line']})" if err and err.get("line") else ""
        msg = f"{err['type']}: {err['message']}" if err else "unknown error"
        if err and err.get("type") == "EOFError":
            msg += " (kerasfix runs scripts with standard input closed)"
        raise CaptureError(f"the script failed for a reason kerasfix does not repair{where}: {msg}", output)
    if status == "no_model":
        raise CaptureError("the script never built a Keras model", output)
    if status == "no_data":
        raise CaptureError("the script built a model but never called fit/evaluate/predict with data", output)
    if status == "unsupported":
        raise CaptureError(f"kerasfix cannot analyse this model or data: {data.get('reason')}", output)
    return CaptureResult(
        diagnosis=diagnosis_from_json(data.get("diagnosis")),
        fixes=tuple(fix_from_json(f) for f in data.get("fixes", [])),
        rejected=tuple(rejected_from_json(r) for r in data.get("rejected", [])),
        trains=data.get("trains"),
        loss=data.get("loss"),
        method=data.get("method"),
        seconds=float(data.get("seconds", 0.0)),
        output=output,
        script_error=err,
        verify_by_rerun=bool(data.get("verify_by_rerun")),
    )
