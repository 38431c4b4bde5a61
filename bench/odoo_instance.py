"""A local Odoo for the HTTP benchmarks: its database built or updated, a server on a free port.

The benchmarks that measure a request through Odoo share this, so each times the same server
(the project's config, one database, no cron threads) and waits out the same first start.
"""

import contextlib
import socket
import subprocess
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
ODOO = REPO / ".odm" / "venv" / "bin" / "odoo"
PYTHON = REPO / ".odm" / "venv" / "bin" / "python"
CONFIG = REPO / ".odm" / "odoo.conf"

_DB_EXISTS = """
import sys
import odoo
odoo.tools.config.parse_config(["-c", sys.argv[1]])
print("yes" if sys.argv[2] in odoo.service.db.list_dbs(True) else "no")
"""


def odoo(*args, **kwargs):
    """Runs odoo-bin with the project's config; raises with its output when it fails."""
    return subprocess.run(
        [str(ODOO), *args, "-c", str(CONFIG), "--log-level=warn"],
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    )


def ensure_database(database, addon):
    """Creates ``database`` with ``addon``, or updates it, so it always runs the code measured."""
    listed = subprocess.run(
        [str(PYTHON), "-c", _DB_EXISTS, str(CONFIG), database],
        capture_output=True,
        text=True,
        check=False,
    )
    exists = listed.stdout.strip() == "yes"
    print(f"{'updating' if exists else 'creating'} database {database}...", flush=True)
    odoo("-d", database, "-u" if exists else "-i", addon, "--stop-after-init")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database, port):
    """An Odoo server serving only ``database`` on 127.0.0.1:``port``, once it answers."""
    server = subprocess.Popen(
        [
            str(ODOO),
            "-c",
            str(CONFIG),
            "-d",
            database,
            f"--db-filter=^{database}$",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            # The first page of a new database builds its assets: slow, not a failure.
            requests.get(f"http://127.0.0.1:{port}/web/login", timeout=30)
            return server
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("Odoo did not start within 120 s")


@contextlib.contextmanager
def serving(database):
    """The port of an Odoo server serving only ``database``, stopped when the block ends."""
    port = free_port()
    server = start_server(database, port)
    try:
        yield port
    finally:
        server.terminate()
        server.wait(30)


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
