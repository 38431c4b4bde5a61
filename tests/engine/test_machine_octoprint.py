"""OctoPrint connector against a real OctoPrint 1.11 with its Virtual Printer."""

import logging
from pathlib import Path

import pytest
import requests

from odm_engine.machines.connectors import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectionSettings,
    JobFile,
    MachineState,
    MachineUnreachable,
    connect,
    job_tag,
    tag_in,
)
from tests.peers.net import AnswerDroppingProxy, free_port, wait_for_state

TINY_PRINT = (Path(__file__).parent / "data" / "tiny_square.gcode").read_bytes()
LONG_PRINT = TINY_PRINT * 6  # about twelve seconds: time to pause, resume and cancel


def octoprint(base_url: str, api_key: str, port: int | None = None, timeout_s: float = 5.0):
    settings = ConnectionSettings(
        "octoprint",
        "127.0.0.1",
        port or int(base_url.rsplit(":", 1)[1]),
        api_key=api_key,
        timeout_s=timeout_s,
    )
    return connect(settings)


def job(reference: str, content: bytes = TINY_PRINT) -> JobFile:
    tag = job_tag(reference, 1)
    return JobFile(tag, f"{tag}.gcode", content, "gcode")


def test_work_order_prints_to_the_end(octoprint_peer):
    with octoprint(*octoprint_peer) as machine:
        assert machine.status().state == MachineState.IDLE
        order = job("WO/0042")
        machine.dispatch(order)
        running = wait_for_state(machine, MachineState.BUSY, MachineState.FINISHED)
        assert tag_in(running.job_name) == "odm-wo0042-a1"
        done = wait_for_state(machine, MachineState.FINISHED)
        assert done.progress == 1.0
        assert tag_in(done.job_name) == order.tag


def test_pause_resume_and_cancel(octoprint_peer):
    with octoprint(*octoprint_peer) as machine:
        machine.dispatch(job("WO/7", LONG_PRINT))
        wait_for_state(machine, MachineState.BUSY)
        machine.pause()
        paused = wait_for_state(machine, MachineState.PAUSED)
        assert 0 < paused.progress < 1
        machine.resume()
        wait_for_state(machine, MachineState.BUSY)
        machine.cancel()
        cancelled = wait_for_state(machine, MachineState.IDLE)
        assert tag_in(cancelled.job_name) == "odm-wo7-a1"  # OctoPrint keeps the file selected


def test_printer_disconnect_reads_offline(octoprint_peer):
    base_url, api_key = octoprint_peer
    requests.post(
        f"{base_url}/api/connection",
        json={"command": "disconnect"},
        headers={"X-Api-Key": api_key},
        timeout=5,
    ).raise_for_status()
    with octoprint(base_url, api_key) as machine:
        offline = wait_for_state(machine, MachineState.OFFLINE, timeout_s=10)
        assert offline.message == "printer not connected"


def test_emergency_stop_reads_failed_with_the_printer_error(octoprint_peer):
    base_url, api_key = octoprint_peer
    with octoprint(base_url, api_key) as machine:
        machine.dispatch(job("WO/8", LONG_PRINT))
        wait_for_state(machine, MachineState.BUSY)
        requests.post(
            f"{base_url}/api/printer/command",
            json={"commands": ["M112"]},
            headers={"X-Api-Key": api_key},
            timeout=5,
        ).raise_for_status()
        failed = wait_for_state(machine, MachineState.FAILED, timeout_s=10)
    assert "emergency stop" in failed.message


def test_start_whose_answer_is_lost_prints_once(octoprint_peer):
    """A start times out: the connector says so instead of guessing, and re-reading the
    machine shows the job running once, so nothing sends it again."""
    base_url, api_key = octoprint_peer
    order = job("WO/9")
    with (
        AnswerDroppingProxy(int(base_url.rsplit(":", 1)[1])) as proxy,
        octoprint(base_url, api_key, port=proxy.port, timeout_s=1.5) as machine,
    ):
        machine.upload(order)
        proxy.drop_answers = True
        with pytest.raises(AmbiguousResult):
            machine.start(order)
        proxy.drop_answers = False
        status = wait_for_state(machine, MachineState.BUSY, MachineState.FINISHED)
        assert tag_in(status.job_name) == order.tag  # ours is on the machine: do not resend
        wait_for_state(machine, MachineState.FINISHED)
    history = requests.get(
        f"{base_url}/api/files/local/{order.name}", headers={"X-Api-Key": api_key}, timeout=5
    ).json()
    assert history["prints"]["success"] == 1
    assert history["prints"]["failure"] == 0


def test_wrong_key_and_dead_server(octoprint_peer, caplog):
    base_url, api_key = octoprint_peer
    wrong_key = "WRONG-" + api_key
    caplog.set_level(logging.DEBUG)
    with octoprint(base_url, wrong_key) as machine, pytest.raises(AuthenticationFailed) as error:
        machine.status()
    with (
        octoprint(base_url, api_key, port=free_port(), timeout_s=1) as machine,
        pytest.raises(MachineUnreachable),
    ):
        machine.status()
    for secret in (wrong_key, api_key):
        assert secret not in str(error.value)
        assert secret not in repr(machine)
        assert secret not in caplog.text
