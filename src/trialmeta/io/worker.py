"""A warm worker for the workflow's job scripts: import once, fork a copy per job.

Each job of a local ``snakemake`` run is a new Python process that imports numpy, scipy,
pandas, matplotlib and trialmeta before it does its work: 0.3-0.8 s of CPU per job, about
half of a cold review's CPU. With the worker, the Snakefile's ``onstart`` handler starts one
process (:func:`start`) that imports the modules the scripts of the jobs about to run
import at their top (:func:`preload_modules`), and each job script's first statement,
:func:`hand_to_worker`, asks it to run the script: the worker forks, and the fork, which
holds every imported module already, runs Snakemake's script file as ``python FILE``
would, with the job's working directory, environment, ``sys.path``, standard input,
output and error (the job's file descriptors are passed over the socket), and returns
its exit status. The job process waits for it and exits with the same status, so
Snakemake schedules, logs and checks the job as before.

What stays the same:

- every output byte: the fork runs the same file with the same interpreter and package
  (a job whose interpreter or trialmeta package differs from the worker's, or whose
  thread settings are not one thread, runs in its own process as before);
- errors: an uncaught exception goes through ``sys.excepthook`` (the rule's
  :func:`~trialmeta.io.rule_log.log_errors` hook) and ``sys.exit`` codes are kept;
- stopping: when the job process ends before its fork (Snakemake cancels it), the fork
  ends at once and writes nothing more; when Snakemake ends, the worker kills its forks.

Where it is not used: systems other than Linux, cluster runs (jobs run on other
machines), ``--use-conda`` and containers, dry runs, ``--touch``, ``TRIALMETA_WORKER=off``
in the environment, and scripts run without the workflow.
``sys.path`` and the environment are the job's, but modules the worker imported before
the job started are not imported again.

Safety: the socket sits in a directory only this user can open (``mkdtemp``, mode 0700),
a connection from another user id is closed unread (``SO_PEERCRED``), and a request must
start with a random 256-bit token that only the run's environment holds; the worker runs
only the script file a request names, never data from it.

The job's benchmark file (``benchmark:``) counts its wall time; its CPU and memory are in
the worker, whose forks' CPU is counted in the ``snakemake`` process's children when it
ends (as ``bench/pipeline.py`` measures).
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import gc
import hmac
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "ENV_SOCKET",
    "ENV_SWITCH",
    "ENV_TOKEN",
    "Worker",
    "hand_to_worker",
    "main",
    "preload_modules",
    "start",
    "stop",
]

ENV_SOCKET = "TRIALMETA_WORKER_SOCKET"
ENV_TOKEN = "TRIALMETA_WORKER_TOKEN"
ENV_SWITCH = "TRIALMETA_WORKER"  # "off": every job runs in its own process
# Snakemake sets these to the job's threads; the worker's BLAS is started with one thread,
# so a job with more runs in its own process.
THREAD_VARS = (
    "OMP_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_TOKEN_BYTES = 64  # hex characters of secrets.token_hex(32)
_HEADER = struct.Struct("!Q")  # length of the JSON request that follows the token
_STATUS = struct.Struct("!i")
_REFUSED = b"R"  # the fork ran nothing: the job runs in its own process
_EXITED = b"X"  # followed by the script's exit status
_IDLE_CHECK_S = 1.0
_START_TIMEOUT_S = 30.0

_in_fork = False  # True in a fork running a job script: hand_to_worker does nothing


# ----------------------------------------------------------------------------- client


def _request(script: str) -> bytes:
    package = sys.modules["trialmeta"].__path__
    return json.dumps(
        {
            "script": os.path.abspath(script),
            "label": os.path.basename(str(getattr(sys.modules["__main__"], "__file__", script))),
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "path": list(sys.path),
            "executable": sys.executable,
            "package": list(package),
        }
    ).encode()


def _receive_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def hand_to_worker() -> None:
    """Run the calling job script in the run's warm worker, then exit with its status.

    Returns (and the script runs in this process) when there is no worker for this job:
    no worker was started, it cannot be reached, the job asks for more than one thread,
    or the worker refuses because its interpreter or trialmeta package is not this one.
    Called as the first statement of every script in ``workflow/scripts/``.
    """
    path, token = os.environ.get(ENV_SOCKET), os.environ.get(ENV_TOKEN)
    if _in_fork or not path or not token or len(token) != _TOKEN_BYTES:
        return
    if any(os.environ.get(var, "1") != "1" for var in THREAD_VARS):
        return
    main_module = sys.modules.get("__main__")
    script = getattr(main_module, "__real_file__", None) or getattr(main_module, "__file__", None)
    if not isinstance(script, str):
        return
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return
    with conn:
        request = _request(script)
        sys.stdout.flush()
        sys.stderr.flush()
        message = token.encode() + _HEADER.pack(len(request)) + request
        try:
            sent = socket.send_fds(conn, [message], [0, 1, 2])
            conn.sendall(message[sent:])  # the rest, if the first call sent only a part
            kind = _receive_exactly(conn, 1)
            status = _receive_exactly(conn, _STATUS.size) if kind == _EXITED else b""
        except OSError:
            kind, status = b"", b""
    if kind == _REFUSED:
        return
    if len(status) != _STATUS.size:
        print(
            "trialmeta: error: the workflow's worker process ended before this job's "
            f"script {script} did (expected an exit status); rerun, or set "
            f"{ENV_SWITCH}=off to run every job in its own process",
            file=sys.stderr,
        )
        raise SystemExit(1)
    raise SystemExit(_STATUS.unpack(status)[0])


# ------------------------------------------------------------------------- the fork


def _exit_status(code: object) -> int:
    """The status ``python FILE`` exits with after ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _from_script(tb: TracebackType | None, script: str) -> TracebackType | None:
    """The traceback from the script's own frame on (without this module's)."""
    frame = tb
    while frame is not None and frame.tb_frame.f_code.co_filename != script:
        frame = frame.tb_next
    return frame if frame is not None else tb


def _run_script(script: str) -> int:
    """Run ``script`` as ``__main__`` as ``python FILE`` would; its exit status.

    As in the interpreter, the script's ``__main__`` module stays in place while the exit
    handlers (``atexit``) run.
    """
    main_module = types.ModuleType("__main__")
    main_module.__dict__.update(__file__=script, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = main_module
    sys.argv = [script]
    try:
        with open(script, "rb") as fh:
            code = compile(fh.read(), script, "exec")
        exec(code, main_module.__dict__)  # noqa: S102  (Snakemake's script file for this job)
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    except BaseException as error:  # noqa: BLE001  (what the interpreter does with any error)
        tb = _from_script(error.__traceback__, script)
        sys.excepthook(type(error), error.with_traceback(tb), tb)
        status = 1
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    gc.collect()  # closes (and so flushes) files the script left open, as shutdown would
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    return status


def _end_when_job_ends(conn: socket.socket) -> None:
    """End this fork at once when the job process closes its end (it was cancelled)."""

    def watch() -> None:
        with contextlib.suppress(OSError):
            conn.recv(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _serve_job(conn: socket.socket, token: str) -> NoReturn:
    """In a fork: check and run one job's request, send its exit status, exit."""
    try:
        first, fds, _, _ = socket.recv_fds(conn, _TOKEN_BYTES + _HEADER.size, 3)
        head = first + _receive_exactly(conn, _TOKEN_BYTES + _HEADER.size - len(first))
        if len(fds) != 3 or not hmac.compare_digest(head[:_TOKEN_BYTES], token.encode()):
            os._exit(2)
        (size,) = _HEADER.unpack(head[_TOKEN_BYTES:])
        request = json.loads(_receive_exactly(conn, size))
        package = list(sys.modules["trialmeta"].__path__)
        if request["executable"] != sys.executable or request["package"] != package:
            conn.sendall(_REFUSED)
            os._exit(0)
        log = os.dup(2)  # the worker's log: one line per job
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[:] = request["path"]
        global _in_fork
        _in_fork = True
        _end_when_job_ends(conn)
        status = _run_script(request["script"])
        os.write(log, f"{request['label']}: exit status {status}\n".encode())
        conn.sendall(_EXITED + _STATUS.pack(status))
    except BaseException:  # noqa: BLE001  (a fork never returns into the worker's loop)
        os._exit(3)
    os._exit(0)


# ----------------------------------------------------------------------- the worker


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def _peer_uid(conn: socket.socket) -> int:
    """The user id of the process at the other end (-1 when it cannot be read)."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return -1
    return int(struct.unpack("3i", creds)[1])


def _accept(listener: socket.socket, token: str, forks: set[int], timeout: float) -> None:
    """Fork once for each waiting connection (within ``timeout`` s); reap ended forks.

    A connection that fails before it is forked off (the job was cancelled meanwhile, or
    no process could be forked) is closed: that job gets no exit status and fails with a
    message, and the worker serves the next one.
    """
    ready, _, _ = select.select([listener], [], [], timeout)
    while ready:
        try:
            conn, _ = listener.accept()
        except OSError:
            conn = None
        if conn is not None:
            with conn:
                if _peer_uid(conn) == os.getuid():
                    _fork_job(conn, listener, token, forks)
        ready, _, _ = select.select([listener], [], [], 0)
    for pid in list(forks):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            forks.discard(pid)


def _fork_job(conn: socket.socket, listener: socket.socket, token: str, forks: set[int]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    # What the worker holds is never collected in a fork: a fork's collections then
    # visit only its job's objects, and leave the shared pages unwritten.
    gc.freeze()
    try:
        pid = os.fork()
    except OSError as err:
        print(f"worker: cannot fork for a job: {err}", file=sys.stderr)
        return
    if pid == 0:
        listener.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _serve_job(conn, token)
    forks.add(pid)


def _import(spec: str) -> None:
    """Import a preload entry in the worker: ``module`` or ``module:name,name`` (the names
    of ``from module import name`` that are submodules are imported too). A module that
    fails is left to the job, which imports it again and reports it."""
    name, _, attributes = spec.partition(":")
    try:
        module = importlib.import_module(name)
        for attribute in filter(None, attributes.split(",")):
            if not hasattr(module, attribute):
                importlib.import_module(f"{name}.{attribute}")
    except Exception as exc:  # noqa: BLE001
        print(f"worker: not preloaded: {spec}: {type(exc).__name__}: {exc}", file=sys.stderr)


def serve(path: str, token: str, parent: int, preload: Sequence[str]) -> None:
    """Listen on ``path``, importing ``preload`` in turn, until SIGTERM or ``parent`` ends.

    Between two imports and once a second after them, every waiting job is forked off,
    so a job never waits for more than one module's import.
    """
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches snakemake, which stops us
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    os.chmod(path + ".new", 0o600)
    listener.listen(128)
    os.rename(path + ".new", path)  # the path exists once connections are accepted
    forks: set[int] = set()
    try:
        for name in preload:
            _accept(listener, token, forks, 0)
            _import(name)
        while os.getppid() == parent:
            _accept(listener, token, forks, _IDLE_CHECK_S)
    except _Stop:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        listener.close()
        with contextlib.suppress(OSError):  # also when snakemake ended without stop()
            os.unlink(path)
            os.rmdir(os.path.dirname(path))
        for pid in forks:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in forks:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -c 'from trialmeta.io.worker import main; main()' SOCKET PARENT MODULE...``

    The token is read from the environment (``TRIALMETA_WORKER_TOKEN``).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    token = os.environ.pop(ENV_TOKEN, "")
    if len(args) < 2 or len(token) != _TOKEN_BYTES:
        sys.exit("usage: worker SOCKET PARENT_PID [MODULE ...] with TRIALMETA_WORKER_TOKEN set")
    serve(args[0], token, int(args[1]), args[2:])
    # End without tearing down every imported module (a fraction of a second of CPU for
    # numpy, pandas, matplotlib, WeasyPrint): the exit handlers run and the log is flushed.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# ------------------------------------------------------------------ the run's handle


@dataclass(frozen=True)
class Worker:
    """A started worker: its process, the socket's directory and its log."""

    process: subprocess.Popen[bytes]
    directory: Path
    log: IO[bytes]


def _top_imports(script: Path) -> list[str]:
    """The import statements at the top level of ``script`` as preload entries, in order."""
    import ast

    tree = ast.parse(script.read_bytes(), filename=str(script))
    specs: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            specs.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            specs.append(node.module + ":" + ",".join(alias.name for alias in node.names))
    return specs


def preload_modules(scripts: Iterable[str | Path]) -> list[str]:
    """What the worker imports for ``scripts``: their top-level imports, first use first.

    Entries are ``module`` or ``module:name,...`` (for ``from module import name``); they
    are resolved in the worker, so this process imports none of them. Nothing of a script
    but its import statements is read.
    """
    return list(dict.fromkeys(spec for script in scripts for spec in _top_imports(Path(script))))


def start(modules: Sequence[str], log_path: str | Path) -> Worker | None:
    """Start a worker that imports ``modules`` (preload entries, see
    :func:`preload_modules`) and point this process's children to it.

    Sets ``TRIALMETA_WORKER_SOCKET`` and ``TRIALMETA_WORKER_TOKEN`` in ``os.environ``, so
    jobs started from now on use it. Returns None (and starts nothing) when the
    environment says ``TRIALMETA_WORKER=off``, there is nothing to import, or the system
    is not Linux: the peer check needs ``SO_PEERCRED``, and on macOS forking a process
    that has loaded system frameworks (Accelerate, CoreText) is not safe.
    """
    import secrets
    import subprocess
    import tempfile

    if os.environ.get(ENV_SWITCH, "on").lower() == "off" or sys.platform != "linux":
        return None
    if not modules:
        return None
    directory = Path(tempfile.mkdtemp(prefix="trialmeta-worker-"))
    path = str(directory / "socket")
    token = secrets.token_hex(32)
    env = {**os.environ, ENV_TOKEN: token, **dict.fromkeys(THREAD_VARS, "1")}
    env.pop(ENV_SOCKET, None)
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    Path(log_path).write_bytes(b"")
    log = open(log_path, "ab")  # noqa: SIM115  (open until stop(); forks append lines)
    command = "from trialmeta.io.worker import main; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", command, path, str(os.getpid()), *dict.fromkeys(modules)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    started = Worker(process, directory, log)
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(started)
            raise OSError(f"the worker did not start (see {log_path})")
        time.sleep(0.005)
    os.environ[ENV_SOCKET] = path
    os.environ[ENV_TOKEN] = token
    return started


def stop(worker: Worker | None, timeout: float = 10.0) -> None:
    """Stop ``worker`` (its running forks are killed) and wait for it; no job uses it then."""
    import shutil
    import subprocess

    os.environ.pop(ENV_SOCKET, None)
    os.environ.pop(ENV_TOKEN, None)
    if worker is None:
        return
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
    worker.log.close()
    shutil.rmtree(worker.directory, ignore_errors=True)
