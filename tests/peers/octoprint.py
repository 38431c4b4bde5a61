"""A real OctoPrint server with its bundled Virtual Printer, on a free loopback port.

OctoPrint comes from PyPI into its own virtual environment (its pins clash with Odoo's), built
once per machine by ``./odm setup`` from ``octoprint-requirements.txt``. The base directory is a
fresh temporary one: config.yaml connects to the ``VIRTUAL`` serial port at start-up, skips the
first-run wizard, and users.yaml holds one admin user whose API key is fixed, so tests know it.
"""

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from .net import LOOPBACK, free_port, wait_until

REQUIREMENTS = Path(__file__).with_name("octoprint-requirements.txt")
VERSION = re.search(r"^octoprint==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE).group(1)
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "odm"
VENV = CACHE / f"octoprint-{VERSION}"
EXECUTABLE = VENV / "bin" / "octoprint"


def config(port: int) -> dict:
    """config.yaml of a headless OctoPrint bound to its Virtual Printer."""
    return {
        "server": {
            "firstRun": False,
            "host": LOOPBACK,
            "port": port,
            "onlineCheck": {"enabled": False},
            "pluginBlacklist": {"enabled": False},
            "seenWizards": {"corewizard": 4, "tracking": None, "backup": None},
        },
        "serial": {
            "port": "VIRTUAL",
            "baudrate": 115200,
            "autoconnect": True,
            "timeout": {"connection": 5, "detection": 1},
        },
        "plugins": {
            "virtual_printer": {
                "enabled": True,
                "waitInterval": 0.2,
                "simulateReset": False,
                "sendWait": False,
            },
            "tracking": {"enabled": False},
            "errortracking": {"enabled": False},
            "announcements": {"enabled_channels": []},
            "softwareupdate": {"check_overlay_url": None, "notify_users": False},
            "_disabled": [
                "tracking",
                "errortracking",
                "announcements",
                "softwareupdate",
                "pluginmanager",
                "backup",
                "discovery",
                "achievements",
                "health_check",
            ],
        },
        "feature": {"sdSupport": False},
    }


def users(api_key: str, password_hash: str) -> dict:
    return {
        "_version": 2,
        "admin": {
            "active": True,
            "apikey": api_key,
            "groups": ["admins", "users"],
            "password": password_hash,
            "permissions": [],
            "settings": {},
        },
    }


@contextlib.contextmanager
def octoprint_server(speed: float = 1.0, api_key: str | None = None, port: int | None = None):
    """Yields (base_url, api_key) of a running OctoPrint whose virtual printer is Operational.
    ``speed`` multiplies the virtual printer's motion speed (it already runs moves 10x faster
    than real), so a sliced part prints in seconds. ``port``: a free one unless given (the demo
    machine expects 5000)."""
    if not EXECUTABLE.exists():
        raise RuntimeError(
            f"OctoPrint {VERSION} is not installed at {VENV}: run ./odm setup to build it"
        )
    api_key = api_key or secrets.token_hex(16).upper()
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="odm-octoprint-") as basedir:
        base = Path(basedir)
        password_hash = subprocess.run(  # argon2, as OctoPrint stores passwords; never used
            [
                str(VENV / "bin" / "python"),
                "-c",
                "import argon2, secrets; print(argon2.PasswordHasher().hash(secrets.token_hex()))",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        (base / "config.yaml").write_text(json.dumps(config(port)))  # JSON is YAML
        scripts = base / "scripts" / "gcode"
        scripts.mkdir(parents=True)
        # The virtual printer times moves from their feed rate scaled by M220 (and extrusion-only
        # moves by M221): OctoPrint sends this script before every print. A file that sets
        # M220/M221 itself runs at its own pace from there on; heating stays at 10 degrees/s.
        (scripts / "beforePrintStarted").write_text(
            f"M220 S{100 * speed:g}\nM221 S{100 * speed:g}\n"
        )
        (base / "users.yaml").write_text(json.dumps(users(api_key, password_hash)))
        command = [
            str(EXECUTABLE),
            "serve",
            "--basedir",
            basedir,
            "--host",
            LOOPBACK,
            "--port",
            str(port),
        ]
        if os.geteuid() == 0:
            command.append("--iknowwhatimdoing")
        log = (base / "serve.log").open("wb")
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base_url = f"http://{LOOPBACK}:{port}"
        try:
            headers = {"X-Api-Key": api_key}

            def operational():
                if process.poll() is not None:
                    raise RuntimeError(f"OctoPrint exited with {process.returncode}")
                answer = requests.get(f"{base_url}/api/printer", headers=headers, timeout=2)
                return answer.ok and answer.json()["state"]["flags"]["operational"]

            try:
                wait_until(operational, 90, "OctoPrint's virtual printer", interval_s=0.5)
            except (TimeoutError, RuntimeError) as error:
                tail = (base / "serve.log").read_text(errors="replace")[-3000:]
                sys.stderr.write(tail)
                raise RuntimeError(f"OctoPrint did not come up: {error}") from error
            yield base_url, api_key
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
