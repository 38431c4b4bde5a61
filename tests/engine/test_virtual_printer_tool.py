"""``tools/virtual_printer.py`` (the demo's OctoPrint) stops OctoPrint when it is terminated."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.peers.net import free_port
from tests.peers.octoprint import EXECUTABLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not EXECUTABLE.exists(), reason="OctoPrint's environment is not built")
def test_sigterm_stops_octoprint_too():
    port = free_port()
    tool = subprocess.Popen(
        [sys.executable, "-m", "tools.virtual_printer", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = tool.stdout.readline()
        assert "ready" in ready, ready
        assert requests.get(f"http://127.0.0.1:{port}/api/version", timeout=5).status_code in (
            200,
            403,
        )
        tool.send_signal(signal.SIGTERM)
        assert tool.wait(30) == 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/version", timeout=1)
            except requests.ConnectionError:
                break
            time.sleep(0.5)
        else:
            pytest.fail("OctoPrint still answers after its tool was terminated")
    finally:
        if tool.poll() is None:
            os.kill(tool.pid, signal.SIGKILL)
