"""The warm worker pool: runs are isolated from each other, failures are reported, nothing leaks.

Timing is not asserted here (``bench/worker.py`` measures it). Two pools preloading Keras are
shared by the module; the tests that kill or close a pool use their own, which preloads no
Keras so that restarting it is cheap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kerasfix.capture.pool import Pool, Request, Response

TESTS = str(Path(__file__).resolve().parent)
#: The pools' servers import ``pool_targets`` from here.
ENV = {"PYTHONPATH": os.pathsep.join(p for p in (TESTS, os.environ.get("PYTHONPATH")) if p)}


def request(target: str, payload: dict[str, Any] | None = None, *, cwd: str | None = None,
            argv: tuple[str, ...] = ("script.py",), timeout: float = 60.0, env: dict[str, str] | None = None) -> Request:
    return Request(f"pool_targets:{target}", payload or {}, cwd or TESTS, argv, timeout, env or {})


@pytest.fixture(scope="module")
def pool1() -> Iterator[Pool]:
    with Pool(1, preload=("keras", "pool_targets"), env=ENV) as pool:
        yield pool


@pytest.fixture(scope="module")
def pool2() -> Iterator[Pool]:
    with Pool(2, preload=("keras", "pool_targets"), env=ENV) as pool:
        yield pool


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by whoever inherited it, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def gone(*pids: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pids_from(pidfile: Path, within: float = 60.0) -> tuple[int, int, int]:
    """(child, grandchild, server) as written by ``pool_targets.hang``."""
    deadline = time.monotonic() + within
    while not pidfile.exists():
        assert time.monotonic() < deadline, "the hanging run never started"
        time.sleep(0.02)
    child, grandchild, server = (int(p) for p in pidfile.read_text().split())
    return child, grandchild, server


def in_thread(pool: Pool, req: Request) -> tuple[threading.Thread, list[Response]]:
    out: list[Response] = []
    thread = threading.Thread(target=lambda: out.append(pool.run(req)))
    thread.start()
    return thread, out


def test_a_run_gets_its_payload_cwd_argv_and_env(pool1: Pool, tmp_path: Path) -> None:
    r = pool1.run(request("echo", {"say": "hi", "env": ["KF_A", "TF_CPP_MIN_LOG_LEVEL"]}, cwd=str(tmp_path),
                          argv=("train.py", "--epochs", "3"), env={"KF_A": "b"}))
    assert r.status == "ok"
    assert r.result == {"payload": {"say": "hi", "env": ["KF_A", "TF_CPP_MIN_LOG_LEVEL"]}, "cwd": str(tmp_path),
                        "argv": ["train.py", "--epochs", "3"], "env": {"KF_A": "b", "TF_CPP_MIN_LOG_LEVEL": "3"}}
    assert r.output == "echo hi\n"
    assert r.exit_code is None


def test_an_exception_escaping_the_target_is_the_result(pool1: Pool) -> None:
    r = pool1.run(request("boom"))
    assert r.status == "ok" and r.result is not None
    assert r.result["status"] == "internal_error"
    assert r.result["error"] == "ValueError: boom"
    assert "raise ValueError" in r.result["traceback"]
    for target in ("pool_targets:not_a_dict", "pool_targets:no_such_function", "no_such_module:f"):
        r = pool1.run(Request(target, {}, TESTS, (), 60.0))
        assert r.status == "ok" and r.result is not None and r.result["status"] == "internal_error", target
    r = pool1.run(request("echo", cwd="/no/such/directory"))
    assert r.result is not None and r.result["error"].startswith("FileNotFoundError")


def test_a_crash_is_reported_and_the_next_run_works(pool1: Pool) -> None:
    r = pool1.run(request("abort"))
    assert (r.status, r.exit_code, r.result) == ("crashed", -signal.SIGABRT, None)
    assert "about to abort" in r.output
    r = pool1.run(request("exit3"))
    assert (r.status, r.exit_code) == ("crashed", 3)
    assert "about to exit" in r.output
    assert pool1.run(request("echo", {"say": "after"})).output == "echo after\n"


def test_a_hang_is_killed_with_its_process_group(pool1: Pool, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    r = pool1.run(request("hang", {"pidfile": str(pidfile)}, timeout=1.5))
    assert (r.status, r.result, r.exit_code) == ("timeout", None, None)
    assert "hanging" in r.output
    child, grandchild, _ = pids_from(pidfile)
    assert gone(child, grandchild)
    assert pool1.run(request("echo")).status == "ok"


def test_endless_output_keeps_only_its_tail(pool1: Pool) -> None:
    r = pool1.run(request("chatter", {"lines": 50_000}))
    assert r.status == "ok"
    assert r.output.startswith("[… ") and "earlier bytes of output not kept]\n" in r.output
    assert r.output.endswith("THE END\n")
    assert len(r.output) < 4200


def test_a_large_result_comes_back_whole(pool1: Pool) -> None:
    r = pool1.run(request("big", {"size": 3_000_000}))
    assert r.status == "ok" and r.result == {"data": "y" * 3_000_000}


def test_runs_do_not_see_each_others_state(pool1: Pool, tmp_path: Path) -> None:
    polluted = pool1.run(request("pollute", cwd=str(tmp_path), argv=("a.py",)))
    assert polluted.result is not None
    assert polluted.result["image_data_format"] == "channels_first"  # the change did happen
    clean = pool1.run(request("observe", cwd=str(tmp_path), argv=("a.py",)))
    assert clean.result == {
        "counter": 0, "image_data_format": "channels_last", "floatx": "float32", "eager": False,
        "dense": "Dense", "env": None, "argv": ["a.py"], "leaked_path": False, "cwd": str(tmp_path), "threads": [],
    }


def test_map_gives_the_same_results_in_order_whatever_jobs(pool1: Pool, pool2: Pool, tmp_path: Path) -> None:
    requests = [
        request("echo", {"n": 0}, cwd=str(tmp_path), argv=("zero.py",)),
        request("fit", {"seed": 1}),
        request("exit3"),
        request("echo", {"n": 3}, env={"KF_N": "3"}),
        request("boom"),
        request("fit", {"seed": 2}),
        request("echo", {"n": 6}),
    ]

    def outcome(r: Response) -> tuple[Any, ...]:
        result = dict(r.result or {})
        result.pop("traceback", None)  # names the server's source lines: same either way, but long
        return r.status, result, r.exit_code, r.output

    one = [outcome(r) for r in pool1.map(requests)]
    two = [outcome(r) for r in pool2.map(requests)]
    assert one == two
    assert [o[0] for o in one] == ["ok", "ok", "crashed", "ok", "ok", "ok", "ok"]
    assert [o[1].get("payload") for o in one] == [{"n": 0}, None, None, {"n": 3}, None, None, {"n": 6}]


def test_runs_from_many_threads_at_once(pool2: Pool) -> None:
    results: dict[int, Response] = {}

    def go(i: int) -> None:
        results[i] = pool2.run(request("echo", {"i": i}))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: r.result["payload"] for i, r in results.items() if r.result} == {i: {"i": i} for i in range(8)}


def test_a_dead_server_is_replaced_and_close_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the pool keeps its result files
    pool = Pool(1, preload=("pool_targets",), env=ENV)
    first = pool.run(request("server_pid")).result
    assert first is not None

    # The server is killed while a run is going: that run is lost, with its grandchild; the next gets a new server.
    thread, out = in_thread(pool, request("hang", {"pidfile": str(tmp_path / "one")}))
    child, grandchild, server = pids_from(tmp_path / "one")
    assert server == first["server"]
    os.kill(server, signal.SIGKILL)
    thread.join(30)
    assert out and out[0].status == "worker_error"
    assert "killed by SIGKILL" in out[0].output
    assert gone(child, grandchild, server)
    second = pool.run(request("server_pid")).result
    assert second is not None and second["server"] != first["server"]

    # Closing the pool while a run is going kills the run, its grandchild and the server, and removes the files.
    thread, out = in_thread(pool, request("hang", {"pidfile": str(tmp_path / "two")}))
    child, grandchild, server = pids_from(tmp_path / "two")
    pool.close()
    thread.join(30)
    assert out and out[0].status == "worker_error"
    assert gone(child, grandchild, server)
    assert list(temp.iterdir()) == []
    with pytest.raises(RuntimeError):
        pool.run(request("echo"))
    pool.close()  # twice is fine


def test_a_preload_that_fails_is_a_worker_error() -> None:
    with Pool(1, preload=("no_such_module_for_kerasfix",), env=ENV) as pool:
        r = pool.run(request("echo"))
        assert r.status == "worker_error"
        assert "No module named 'no_such_module_for_kerasfix'" in r.output
        assert pool.run(request("echo")).status == "worker_error"  # tried again, failed again


def test_the_parent_never_imports_keras_and_the_shared_pool_closes_at_exit(tmp_path: Path) -> None:
    """No Keras or TensorFlow in the parent, and no numpy brought in by the pool (``kerasfix`` itself may)."""
    script = textwrap.dedent(f"""
        import sys
        import kerasfix
        before = set(sys.modules)
        from kerasfix.capture.pool import Request, shared_pool
        added = set(sys.modules) - before

        pool = shared_pool()
        assert shared_pool(2) is pool and pool.jobs == 2
        r = pool.run(Request("pool_targets:fit", {{}}, {str(tmp_path)!r}, ("x.py",), 60.0))
        s = pool.run(Request("pool_targets:server_pid", {{}}, {str(tmp_path)!r}, ("x.py",), 60.0))
        e = pool.run(Request("pool_targets:echo", {{"say": "hi"}}, {str(tmp_path)!r}, ("x.py",), 60.0))
        print(r.status, "loss" in (r.result or {{}}), s.result["server"], e.output == "echo hi\\n")
        heavy = ("keras", "tensorflow", "numpy")
        print(sorted(m for m in heavy if m in sys.modules and (m != "numpy" or m in added)))
    """)
    # TensorFlow's C++ logging on: the server prints at import, the runs when they fit; none of it may reach us.
    env = {**os.environ, **ENV, "TF_CPP_MIN_LOG_LEVEL": "0"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    first, modules = proc.stdout.splitlines()
    status, fitted, server, echoed = first.split()
    assert (status, fitted, echoed, modules) == ("ok", "True", "True", "[]")
    assert proc.stderr == ""
    assert gone(int(server))


def test_runs_with_the_same_scratch_key_share_a_folder_that_goes_with_the_worker() -> None:
    """What one run of a script keeps (JAX's compiled code) the next run of that script finds; another script,
    or a run without a key, does not; the folder goes when the worker does."""
    def run(pool: Pool, key: str) -> dict[str, Any]:
        req = request("scratch")
        req = Request(req.target, req.payload, req.cwd, req.argv, req.timeout, req.env, scratch=key)
        got = pool.run(req)
        assert got.status == "ok", got
        assert got.result is not None
        return got.result

    with Pool(1, preload=("pool_targets",), env=ENV) as pool:
        first = run(pool, "/a/train.py")
        again = run(pool, "/a/train.py")
        other = run(pool, "/b/train.py")
        none = pool.run(request("scratch"))
    assert first["found"] == [] and len(again["found"]) == 1
    assert again["folder"] == first["folder"] and other["folder"] != first["folder"] and other["found"] == []
    assert none.result == {"folder": None, "found": []}
    assert not os.path.exists(first["folder"])
