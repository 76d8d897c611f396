"""The warm worker (trialmeta.io.worker): a job script handed to it behaves as if run with
``python FILE``: same output streams, exit status, working directory, environment and
files; a cancelled job's fork stops; a bad request runs nothing; without a worker the
script runs in its own process."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trialmeta.io import worker

SRC = str(Path(worker.__file__).parents[2])
HEAD = "from trialmeta.io.worker import hand_to_worker\nhand_to_worker()\n"


@pytest.fixture()
def running(tmp_path: Path) -> Iterator[tuple[worker.Worker, dict[str, str]]]:
    """A worker that preloaded json (started the way the Snakefile starts it)."""
    saved = {k: os.environ.get(k) for k in (worker.ENV_SOCKET, worker.ENV_TOKEN)}
    started = worker.start(["json", "trialmeta.errors:TrialmetaError"], tmp_path / "w.log")
    assert started is not None
    env = {**os.environ, "PYTHONPATH": SRC, **dict.fromkeys(worker.THREAD_VARS, "1")}
    try:
        yield started, env
    finally:
        worker.stop(started)
        for k, v in saved.items():
            if v is not None:
                os.environ[k] = v
    assert not started.directory.exists()  # stop() leaves no socket behind


def _script(tmp_path: Path, body: str, name: str = "job.py") -> Path:
    script = tmp_path / name
    script.write_text(HEAD + textwrap.dedent(body))
    return script


def _run(script: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_a_script_runs_in_a_fork_with_the_jobs_streams_cwd_and_environment(running, tmp_path):
    started, env = running
    work = tmp_path / "cwd"
    work.mkdir()
    script = _script(
        tmp_path,
        """
        import os, sys
        print("out", os.getpid(), os.getcwd(), os.environ["JOB_MARK"], sys.argv[0])
        print("err", file=sys.stderr)
        open("left_open.txt", "w").write("written")  # never closed: still flushed
    """,
    )
    proc = subprocess.Popen([sys.executable, str(script)], env={**env, "JOB_MARK": "m1"},
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    word, pid, cwd, mark, argv0 = out.split()
    assert word == "out" and int(pid) != proc.pid  # ran in another process: the fork
    assert (cwd, mark, argv0) == (str(work), "m1", str(script))
    assert err == "err\n"
    assert (work / "left_open.txt").read_text() == "written"
    assert (tmp_path / "w.log").read_text() == "job.py: exit status 0\n"


@pytest.mark.parametrize(
    ("body", "status", "stderr_has"),
    [
        ("import sys\nsys.exit(7)\n", 7, ""),
        ("import sys\nsys.exit('stopped here')\n", 1, "stopped here"),
        ("raise ValueError('bad value')\n", 1, "ValueError: bad value"),
        (  # an exit handler sees the script's __main__, as after python FILE
            "import atexit, sys\nMARK = 'main kept'\natexit.register(lambda: print("
            "sys.modules['__main__'].MARK, file=sys.stderr))\n",
            0,
            "main kept",
        ),
        (
            "import sys\nsys.excepthook = lambda k, e, t: print('hooked', k.__name__, "
            "file=sys.stderr)\nraise KeyError(1)\n",
            1,
            "hooked KeyError",
        ),
    ],
)
def test_exit_status_and_uncaught_errors_are_those_of_python_file(
    running, tmp_path, body, status, stderr_has
):
    _, env = running
    script = _script(tmp_path, body)
    in_worker = _run(script, env, tmp_path)
    alone = _run(script, {**env, worker.ENV_SOCKET: ""}, tmp_path)
    assert in_worker.returncode == alone.returncode == status
    assert stderr_has in in_worker.stderr
    assert in_worker.stderr.replace(str(script), "S") == alone.stderr.replace(str(script), "S")


def test_without_a_worker_or_with_more_threads_the_script_runs_in_its_own_process(
    running, tmp_path
):
    _, env = running
    script = _script(tmp_path, "import os\nprint(os.getpid())\n")
    for case in ({worker.ENV_SOCKET: str(tmp_path / "none")}, {worker.ENV_TOKEN: ""},
                 {"OMP_NUM_THREADS": "2"}):  # fmt: skip
        proc = subprocess.Popen([sys.executable, str(script)], env={**env, **case},
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and int(out) == proc.pid, case


def _slow_script(tmp_path: Path) -> Path:
    """A job that writes ``started``, sleeps 3 s, then writes ``late``."""
    started, late = str(tmp_path / "started"), str(tmp_path / "late")
    body = f"import pathlib, time\npathlib.Path({started!r}).write_text('')\ntime.sleep(3)\n"
    return _script(tmp_path, body + f"pathlib.Path({late!r}).write_text('')\n")


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was never written"
        time.sleep(0.05)


def test_a_cancelled_job_stops_its_fork(running, tmp_path):
    _, env = running
    script = _slow_script(tmp_path)
    proc = subprocess.Popen([sys.executable, str(script)], env=env)
    _wait_for(tmp_path / "started")
    proc.kill()
    proc.wait()
    time.sleep(4)
    assert not (tmp_path / "late").exists()


def test_stop_ends_a_running_fork_and_the_environment_forgets_the_worker(tmp_path):
    started = worker.start(["json"], tmp_path / "w.log")
    assert started is not None and os.environ[worker.ENV_SOCKET]
    env = {**os.environ, "PYTHONPATH": SRC, **dict.fromkeys(worker.THREAD_VARS, "1")}
    script = _slow_script(tmp_path)
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    _wait_for(tmp_path / "started")
    worker.stop(started)
    _, err = proc.communicate(timeout=30)
    time.sleep(3.5)
    assert not (tmp_path / "late").exists()
    assert proc.returncode == 1 and "worker process ended before this job" in err
    assert worker.ENV_SOCKET not in os.environ and worker.ENV_TOKEN not in os.environ
    assert started.process.returncode is not None and not started.directory.exists()


def _raw_request(path: str, token: str, request: dict[str, object]) -> bytes:
    body = json.dumps(request).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        socket.send_fds(conn, [token.encode() + struct.pack("!Q", len(body)) + body],
                        [0, 1, 2])  # fmt: skip
        conn.settimeout(30)
        reply = b""
        try:
            while chunk := conn.recv(16):
                reply += chunk
        except ConnectionResetError:  # the fork ended without reading the rest
            pass
        return reply


def test_a_request_without_the_token_runs_nothing(running, tmp_path):
    script = tmp_path / "evil.py"
    script.write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('x')\n")
    request = {"script": str(script), "label": "evil.py", "cwd": str(tmp_path),
               "env": {}, "path": sys.path, "executable": sys.executable,
               "package": list(sys.modules["trialmeta"].__path__)}  # fmt: skip
    path = os.environ[worker.ENV_SOCKET]
    assert _raw_request(path, "0" * 64, request) == b""
    time.sleep(0.5)
    assert not (tmp_path / "ran").exists()


def test_another_interpreter_or_package_is_refused_and_runs_in_its_own_process(running, tmp_path):
    script = tmp_path / "other.py"
    script.write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('x')\n")
    path, token = os.environ[worker.ENV_SOCKET], os.environ[worker.ENV_TOKEN]
    request = {"script": str(script), "label": "other.py", "cwd": str(tmp_path),
               "env": {}, "path": sys.path, "executable": "/elsewhere/python",
               "package": list(sys.modules["trialmeta"].__path__)}  # fmt: skip
    assert _raw_request(path, token, request) == b"R"
    request = {**request, "executable": sys.executable, "package": ["/elsewhere/trialmeta"]}
    assert _raw_request(path, token, request) == b"R"
    time.sleep(0.5)
    assert not (tmp_path / "ran").exists()


def test_the_worker_ends_when_snakemake_ends_without_stopping_it(tmp_path):
    launcher = textwrap.dedent(f"""
        import os, sys
        from trialmeta.io import worker
        w = worker.start(["json"], {str(tmp_path / "w.log")!r})
        print(w.directory, w.process.pid, flush=True)
        os._exit(0)  # as after kill -9: no onsuccess/onerror
    """)
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", launcher], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout  # fmt: skip
    directory, pid = out.split()
    deadline = time.monotonic() + 10
    while Path(directory).exists() or Path(f"/proc/{pid}").exists():
        state = Path(f"/proc/{pid}/stat")
        if state.exists() and state.read_text().split(")")[-1].split()[0] == "Z":
            break  # ended; a zombie until init reaps it
        assert time.monotonic() < deadline, "the worker outlived its snakemake"
        time.sleep(0.1)
    assert not Path(directory).exists()


def test_off_in_the_environment_starts_no_worker(tmp_path, monkeypatch):
    monkeypatch.setenv(worker.ENV_SWITCH, "off")
    assert worker.start(["json"], tmp_path / "w.log") is None
    assert worker.ENV_SOCKET not in os.environ


def test_no_worker_outside_linux(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert worker.start(["json"], tmp_path / "w.log") is None
    assert worker.ENV_SOCKET not in os.environ


def test_preload_entries_are_the_scripts_top_level_imports_in_order(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("import json\nfrom trialmeta.io import digests, rule_log\n"
                 "def f():\n    import pandas\n")  # fmt: skip
    b = tmp_path / "b.py"
    b.write_text("from trialmeta.io import digests, rule_log\nimport os.path, csv\n"
                 "from . import relative\n")  # fmt: skip
    assert worker.preload_modules([a, b]) == [
        "json", "trialmeta.io:digests,rule_log", "os.path", "csv"
    ]  # fmt: skip


def test_a_forks_collections_skip_what_the_worker_imported(running, tmp_path):
    """gc.freeze() before each fork: the preloaded objects sit in the permanent generation,
    so a collection in the fork neither visits them nor writes to their shared pages."""
    _, env = running
    script = _script(tmp_path, "import gc\nprint(gc.get_freeze_count())\n")
    in_worker = _run(script, env, tmp_path)
    alone = _run(script, {**env, worker.ENV_SOCKET: ""}, tmp_path)
    assert int(alone.stdout) == 0 < int(in_worker.stdout)


def test_connections_that_close_at_once_leave_the_worker_serving(running, tmp_path):
    """A job cancelled between connecting and being forked off costs the worker nothing."""
    _, env = running
    for _ in range(5):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(os.environ[worker.ENV_SOCKET])
    script = _script(tmp_path, "import os\nprint(os.getpid())\n")
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and int(out) != proc.pid
