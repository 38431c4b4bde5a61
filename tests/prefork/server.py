"""Odoo's multi-process (prefork) server on a copy of an installed database, for the HTTP tests
of tests/prefork/ and the load benchmark (bench/bench_load.py).

The tests of the addons run on Odoo's in-process threaded test server; production runs
``--workers``: a master process, HTTP worker processes, a cron worker, queue_job's runner
worker and the gevent process for the bus. This module starts exactly that against a copy of
a database (``prepare.py`` makes the copy and its users), finds the workers' process ids in
the server's log, and stops everything it started.
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parents[2]
ODOO = REPO / ".odm" / "venv" / "bin" / "odoo"
PYTHON = REPO / ".odm" / "venv" / "bin" / "python"
DEFAULT_CONFIG = REPO / ".odm" / "odoo.conf"
FIXTURES_MARK = "PREFORK-FIXTURES "
# "Worker WorkerHTTP (1234) alive": Odoo logs every worker it forks (no setproctitle here).
_WORKER_ALIVE = re.compile(r"Worker (\w+) \((\d+)\) alive")
# The limits ./odm demo serves with (serving_options there; why in docs/deployment.md).
LIMITS = (
    "--limit-time-real=300",
    "--limit-time-cpu=120",
    f"--limit-memory-soft={2048 * 2**20}",
    f"--limit-memory-hard={2560 * 2**20}",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(config, template, database, *, portal_users=0, moonraker_port=None):
    """Copies ``template`` (database and filestore) to ``database`` and adds the records the
    HTTP flows need; returns them (see prepare.py)."""
    command = [
        *(str(PYTHON), "-m", "tests.prefork.prepare", "--config", str(config)),
        *("--template", template, "--database", database, "--portal-users", str(portal_users)),
    ]
    if moonraker_port:
        command += ["--moonraker-port", str(moonraker_port)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(FIXTURES_MARK)]
    if done.returncode or not lines:
        raise RuntimeError(
            f"preparing {database} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len(FIXTURES_MARK) :])


def drop_database(config, database):
    """Drops ``database`` and its filestore."""
    subprocess.run(
        [str(PYTHON), "-m", "tests.prefork.prepare", "--config", str(config), "--drop", database],
        cwd=REPO,
        capture_output=True,
        check=True,
    )


class PreforkOdoo:
    """An Odoo started with ``workers`` HTTP worker processes, one cron worker, queue_job's
    runner (server-wide module and channels from the config) and the gevent port."""

    def __init__(self, config, database, workers, log_path, *, http_port=None, gevent_port=None):
        self.config = Path(config)
        self.database = database
        self.workers = workers
        self.log_path = Path(log_path)
        self.http_port = http_port or free_port()
        self.gevent_port = gevent_port or free_port()
        self.process = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout_s=240):
        """Starts the master and waits until HTTP and the gevent port answer."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("")
        self.process = subprocess.Popen(
            [
                *(str(ODOO), "-c", str(self.config), "-d", self.database),
                f"--db-filter=^{self.database}$",
                f"--workers={self.workers}",
                "--max-cron-threads=1",
                *LIMITS,
                "--http-interface=127.0.0.1",
                f"--http-port={self.http_port}",
                f"--gevent-port={self.gevent_port}",
                f"--logfile={self.log_path}",
                "--log-level=info",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group: stop() ends the master and whatever it left behind.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        for url in (f"{self.base_url}/web/login", self._gevent_health_url()):
            while not self._answers(url):
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"Odoo exited ({self.process.returncode}): {self.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"Odoo did not answer {url} within {timeout_s} s")
                time.sleep(0.5)
        return self

    def _gevent_health_url(self) -> str:
        return f"http://127.0.0.1:{self.gevent_port}/websocket/health"

    @staticmethod
    def _answers(url) -> bool:
        try:
            return requests.get(url, timeout=60).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self, kind="WorkerHTTP") -> set[int]:
        """Live workers of ``kind`` (WorkerHTTP, WorkerCron, WorkerJobRunner) of this master."""
        children = {child.pid for child in psutil.Process(self.process.pid).children()}
        logged = {
            int(pid)
            for name, pid in _WORKER_ALIVE.findall(self.log_path.read_text(errors="replace"))
            if name == kind
        }
        return {
            pid for pid in logged & children if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        }

    def wait_for_workers(self, kind, count, timeout_s=60, without=()) -> set[int]:
        """The ``count`` live workers of ``kind`` once the master has them (none of ``without``)."""
        deadline = time.monotonic() + timeout_s
        while True:
            pids = self.worker_pids(kind) - set(without)
            if len(pids) >= count:
                return pids
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(pids)} {kind} after {timeout_s} s, {count} expected")
            time.sleep(0.2)

    def log_tail(self, lines=40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self):
        """Stops the master gracefully, then ends its process group (gevent, zygotes)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()
