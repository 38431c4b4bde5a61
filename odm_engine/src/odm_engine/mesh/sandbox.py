"""Bounded child processes: no upload, known trick or not, holds a worker longer or uses more
memory than configured.

Each analysis runs in a child with an address-space limit (``RLIMIT_AS``), a CPU-time limit
(``RLIMIT_CPU``) and a wall-clock deadline enforced by the caller, which kills the child when it
passes. The caller and the child exchange plain data only: a JSON header and raw byte blobs
(arrays, a PNG), never a pickle, so a compromised child cannot run code in the caller.

Children are forked by a *zygote*: a fresh ``python -m odm_engine.mesh.sandbox`` started once
per calling process (fork+exec through ``subprocess``, safe from Odoo's threaded server and from
its prefork workers alike), which imports the engine once with numeric libraries held to one
thread, then forks a single-threaded copy of itself per job. A job costs a fork, not an
interpreter start and the engine imports. The caller hands each job a socket of its own over
the zygote's control socket, so concurrent requests of a threaded server never wait for each
other, and the zygote exits when its caller does.
"""

import contextlib
import importlib
import json
import logging
import math
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass

import numpy as np

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError

_logger = logging.getLogger(__name__)

# Modules the zygote imports once, so that each forked child starts warm.
PRELOAD = ("odm_engine.service",)
# Numeric libraries must not start threads in the zygote: it forks, and forking a threaded
# process can leave a lock held forever in the child.
SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
# Each child lives for one analysis and touches most of its arrays once: numpy's request for
# transparent huge pages on large arrays only makes the kernel zero and compact 2 MiB pages
# (about 0.7 s of system time on a 1M-triangle part, bench/bench_fdm_estimate.py).
CHILD_ENVIRONMENT = {**SINGLE_THREADED, "NUMPY_MADVISE_HUGEPAGE": "0"}
_LENGTH = struct.Struct("!Q")
_STARTUP_TIMEOUT_S = 60.0
# Largest header either side sends: the analysis of one part is a few kilobytes of JSON.
_MAX_HEADER_BYTES = 64 * 2**20
_READY = b"ready"


@dataclass(frozen=True)
class Bounds:
    """What one child may use: wall and CPU seconds, and bytes of address space."""

    seconds: float
    memory_bytes: int


def run(task: str, arguments: dict, data: bytes, bounds: Bounds) -> tuple[dict, list[bytes]]:
    """Run ``task`` on ``data`` in a bounded child: its result and blobs, or its MeshError.

    A child that passes its time is killed and reported as ``time_limit``, one that runs out
    of memory as ``memory_limit``; one that dies otherwise (a crash in a native library) as
    ``analysis_failed``. Every refusal is one sentence for the customer.
    """
    job, theirs = socket.socketpair()
    try:
        with job:
            _zygote().start_job(theirs)
            theirs.close()
            return _talk(job, task, arguments, data, bounds)
    finally:
        theirs.close()


def _talk(job: socket.socket, task: str, arguments: dict, data: bytes, bounds: Bounds):
    deadline = time.monotonic() + bounds.seconds
    pid = None
    try:
        job.settimeout(_STARTUP_TIMEOUT_S)
        (pid,) = _LENGTH.unpack(_recv_exactly(job, _LENGTH.size))
        header = {"task": task, "arguments": arguments, **bounds.__dict__}
        _send_frame(job, json.dumps(header).encode())
        _send_frame(job, data)
        job.settimeout(max(deadline - time.monotonic(), 0.001))
        reply = json.loads(_recv_frame(job, _MAX_HEADER_BYTES))
        blobs = []
        for _ in reply.get("blobs", ()):
            job.settimeout(max(deadline - time.monotonic(), 0.001))
            blobs.append(_recv_frame(job, bounds.memory_bytes))
    except TimeoutError:
        if pid:
            _kill(pid)
        raise _time_limit(bounds) from None
    except (EOFError, ConnectionError, ValueError) as exc:
        # The child died without answering: its limits killed it, or a native library did.
        if time.monotonic() >= deadline - 0.05:
            raise _time_limit(bounds) from exc
        raise MeshError(
            errors.ANALYSIS_FAILED,
            f"The analysis of this file stopped unexpectedly (it may be damaged or need more "
            f"than the {bounds.memory_bytes / 2**20:,.0f} MB allowed); please upload an STL or "
            f"3MF export of it.",
        ) from exc
    if "error" in reply:
        raise MeshError.from_dict(reply["error"])
    return reply["result"], blobs


def _time_limit(bounds: Bounds) -> MeshError:
    return MeshError(
        errors.TIME_LIMIT,
        f"Analysing this file takes longer than the {bounds.seconds:g} s allowed; please "
        f"simplify it or upload an STL or 3MF export.",
    )


def _kill(pid: int) -> None:
    """Kill a child that is late (the zygote reaps it). Only a late child is killed: one that
    answered or hung up may be gone, and its pid already another process's."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --- The caller's side of the zygote -----------------------------------------------------------


class _Zygote:
    """The zygote of one calling process: its control socket and its process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = os.getpid()
        self.control = None
        self.process = None

    def start_job(self, job_socket: socket.socket) -> None:
        with self.lock:
            for attempt in (1, 2):
                if self.control is None:
                    self._start()
                try:
                    socket.send_fds(self.control, [b"j"], [job_socket.fileno()])
                    return
                except OSError:
                    # The zygote died (killed by an administrator, the OOM killer): start anew.
                    self._stop()
                    if attempt == 2:
                        raise

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        environment = {**os.environ, **CHILD_ENVIRONMENT}
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "odm_engine.mesh.sandbox", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=environment,
                close_fds=True,
            )
        ours.settimeout(_STARTUP_TIMEOUT_S)
        try:
            ready = ours.recv(len(_READY))
        except OSError:
            ready = b""
        if ready != _READY:
            ours.close()
            self.process.kill()
            self.process.wait()
            raise RuntimeError("the analysis sandbox could not start")
        ours.settimeout(None)
        self.control = ours

    def _stop(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


_ZYGOTES: dict[int, _Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def _zygote() -> _Zygote:
    """This process's zygote; a forked process (an Odoo worker) starts its own."""
    with _ZYGOTES_LOCK:
        pid = os.getpid()
        if pid not in _ZYGOTES:
            _ZYGOTES.clear()  # those of a parent process are not ours to talk to
            _ZYGOTES[pid] = _Zygote()
        return _ZYGOTES[pid]


# --- Framing ---------------------------------------------------------------------------------


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(payload)))
    sock.sendall(payload)


def _recv_frame(sock: socket.socket, limit: int) -> bytes:
    (length,) = _LENGTH.unpack(_recv_exactly(sock, _LENGTH.size))
    if length > limit:
        raise ValueError(f"a sandbox frame of {length} bytes exceeds {limit}")
    return _recv_exactly(sock, length)


def _recv_exactly(sock: socket.socket, length: int) -> bytes:
    buffer = bytearray(length)
    view = memoryview(buffer)
    received = 0
    while received < length:
        count = sock.recv_into(view[received:], min(length - received, 2**24))
        if not count:
            raise EOFError("the sandbox closed the connection")
        received += count
    return bytes(buffer)


# --- The zygote and its children ---------------------------------------------------------------

_this_process = {"inside_child": False}


def inside_child() -> bool:
    """Whether this code already runs in a bounded child (then it need not start another)."""
    return _this_process["inside_child"]


def _serve(control_fd: int) -> None:
    """The zygote: import the engine once, then fork a child per job socket received."""
    _warm_up()
    control = socket.socket(fileno=control_fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
    control.sendall(_READY)
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 16, 4)
        except InterruptedError:
            continue
        if not message:
            return  # the caller is gone
        for fd in fds:
            if os.fork() == 0:
                control.close()
                status = 1
                try:
                    _child(socket.socket(fileno=fd))
                    status = 0
                finally:
                    os._exit(status)
            os.close(fd)


def _warm_up() -> None:
    """Analyse a tetrahedron once, so that what the engine imports or caches lazily is loaded
    before the zygote forks, and not again in every child."""
    for module in PRELOAD:
        importlib.import_module(module)
    corners = np.array([(0, 0, 0), (10, 0, 0), (0, 10, 0), (0, 0, 10)], dtype="<f4")
    faces = ((0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3))
    records = b"".join(bytes(12) + corners[list(face)].tobytes() + bytes(2) for face in faces)
    stl = b"warm-up".ljust(80) + struct.pack("<I", len(faces)) + records
    _task("analyse")(
        {"filename": "warm-up.stl", "unit": "mm", "limits": {}, "thumbnail_size": 64}, stl
    )


def _child(job: socket.socket) -> None:
    """One job: announce the pid, take the bounds, run the task, answer in plain data."""
    _this_process["inside_child"] = True
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    job.sendall(_LENGTH.pack(os.getpid()))
    header = json.loads(_recv_frame(job, _MAX_HEADER_BYTES))
    seconds = max(1, math.ceil(header["seconds"]))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (header["memory_bytes"], header["memory_bytes"]))
    signal.alarm(seconds + 1)  # should the caller vanish, the wall clock still ends the child
    blobs: list[bytes] = []
    try:
        data = _recv_frame(job, header["memory_bytes"])
        result, blobs = _task(header["task"])(header["arguments"], data)
        reply = {"result": result, "blobs": [len(blob) for blob in blobs]}
    except MeshError as exc:
        reply = {"error": exc.to_dict()}
    except MemoryError:
        reply = {
            "error": MeshError(
                errors.MEMORY_LIMIT,
                f"Analysing this file needs more than the {header['memory_bytes'] / 2**20:,.0f} "
                f"MB of memory allowed; please simplify it or upload a coarser export.",
            ).to_dict()
        }
        blobs = []
    except Exception:  # a bug: the caller gets one sentence, the log the traceback
        sys.stderr.write(traceback.format_exc())
        reply = {
            "error": MeshError(
                errors.ANALYSIS_FAILED,
                "The analysis of this file failed unexpectedly; please upload an STL or 3MF "
                "export of it.",
            ).to_dict()
        }
        blobs = []
    _send_frame(job, json.dumps(reply).encode())
    for blob in blobs:
        _send_frame(job, blob)
    job.close()


# What a child can be asked to run: a function of (JSON arguments, bytes) returning a JSON-ready
# result and a list of byte blobs, named so that this module imports none of its callers.
TASKS = {
    "analyse": "odm_engine.service:analyse_task",
    "tessellate_cad": "odm_engine.mesh.readers_cad:tessellate_task",
    "viewer": "odm_engine.mesh.viewer_export:viewer_task",
}


def _task(name: str):
    module, function = TASKS[name].split(":")
    return getattr(importlib.import_module(module), function)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
