"""Run a user's script in a child process with the capture hooks, and read back what it found.

The parent never imports TensorFlow: a run forked from the warm worker captures,
diagnoses and plans, and sends plain data back. The script's own output goes to
a pipe of which only the last few kilobytes are kept, so it can neither flood
nor mix with ours, and its exit cannot take us down.
"""

from __future__ import annotations

import base64
import os
import signal
from dataclasses import dataclass
from typing import Any

from kerasfix.capture.pool import Request, shared_pool
from kerasfix.capture.worker import PRELOAD
from kerasfix.fix import Fix
from kerasfix.serialize import diagnosis_from_json, fix_from_json, rejected_from_json
from kerasfix.types import Diagnosis, Finding, Rejected

DEFAULT_TIMEOUT = 120.0


class CaptureError(Exception):
    """The script could not be captured; ``str`` is the one-line reason for the user."""

    def __init__(self, message: str, output: str = "", detail: str = "",
                 script_error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.output = output
        self.detail = detail
        #: What the script died of (type, message, line), when it died of its own error.
        self.script_error = script_error


@dataclass(frozen=True)
class CaptureResult:
    """What the child found in the script."""

    diagnosis: Diagnosis | None
    fixes: tuple[Fix, ...]
    rejected: tuple[Rejected, ...]
    #: A training call (``fit``/``train_on_batch``) ran (True), was made but could not run (False), none (None).
    trains: bool | None
    method: str | None
    seconds: float
    output: str
    script_error: dict[str, Any] | None
    #: The script ran to its end (every data call checked, and run on one batch or stood in for).
    completed: bool = False
    #: Each data call the script made: method, line, ran/skipped, findings, callbacks left out (for ``-v``).
    calls: tuple[dict[str, Any], ...] = ()
    #: The model failed while being built, so the child could not verify its candidate
    #: fixes: the pipeline verifies them by re-running the patched script.
    verify_by_rerun: bool = False

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.diagnosis.findings if self.diagnosis is not None else ()


_TARGET = "kerasfix.capture.child:run_request"


def capture(
    path: str, *, source: bytes | None = None, timeout: float = DEFAULT_TIMEOUT, cwd: str | None = None,
    argv: tuple[str, ...] = (), jobs: int = 1,
) -> CaptureResult:
    """Capture ``path`` (or ``source`` run as if it were ``path``) and return what the run found.

    The run is a process forked from a warm worker (``kerasfix.capture.pool``), so
    TensorFlow is imported once per session, not once per run; a script that
    crashes, hangs or exits takes only its own run down. Raises ``CaptureError``
    with a one-line message for every way a script can fail to give us a model:
    timeout, exit, crash, no model, no data.
    """
    script = os.path.abspath(path)
    payload = {"script": script, "source": base64.b64encode(source).decode("ascii") if source is not None else None}
    # Every run of one script (the capture, then each patched version) shares what it compiled.
    request = Request(_TARGET, payload, cwd or os.path.dirname(script), (script, *argv), timeout, scratch=script)
    response = shared_pool(jobs, preload=PRELOAD).run(request)
    if response.status == "timeout":
        raise CaptureError(
            f"the script did not finish within {timeout:g} s, with each fit/evaluate/predict cut to one batch "
            "(timeout; raise it with --timeout)",
            response.output,
        )
    if response.status == "crashed":
        raise CaptureError(_exit_reason(response.exit_code or 0), response.output)
    if response.status == "worker_error" or response.result is None:
        raise CaptureError("kerasfix's worker process failed before the script could be captured",
                           response.output, response.output)
    return _result(response.result, response.output)


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
        if err and err.get("network"):
            raise CaptureError(f"the script needs data from the network: {err['type']}: {err['message']}", output,
                               script_error=err)
        if err and err.get("type") == "SystemExit":
            raise CaptureError(f"{err['message']} before kerasfix could capture a model", output)
        where = f" (line {err['line']})" if err and err.get("line") else ""
        msg = f"{err['type']}: {err['message']}" if err else "unknown error"
        if err and err.get("type") == "EOFError":
            msg += " (kerasfix runs scripts with standard input closed)"
        raise CaptureError(f"the script failed for a reason kerasfix does not repair{where}: {msg}", output,
                           script_error=err)
    if status == "no_model":
        raise CaptureError("the script never built a Keras model", output)
    if status == "unsupported":
        raise CaptureError(f"kerasfix cannot analyse this model or data: {data.get('reason')}", output)
    return CaptureResult(
        diagnosis=diagnosis_from_json(data.get("diagnosis")),
        fixes=tuple(fix_from_json(f) for f in data.get("fixes", [])),
        rejected=tuple(rejected_from_json(r) for r in data.get("rejected", [])),
        trains=data.get("trains"),
        method=data.get("method"),
        seconds=float(data.get("seconds", 0.0)),
        output=output,
        script_error=err,
        completed=bool(data.get("completed")),
        calls=tuple(data.get("calls") or ()),
        verify_by_rerun=bool(data.get("verify_by_rerun")),
    )
