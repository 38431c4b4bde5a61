"""Moonraker connector against the Moonraker protocol fake (tests/peers/http_fakes.py)."""

import logging

import pytest

from odm_engine.machines.connectors import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectionSettings,
    JobFile,
    MachineRefused,
    MachineState,
    MachineUnreachable,
    connect,
    job_tag,
    tag_in,
)
from tests.peers.fixtures import PEER_API_KEY
from tests.peers.net import AnswerDroppingProxy, free_port, wait_for_state

ORDER = JobFile(job_tag("WO-12", 1), "odm-wo12-a1.gcode", b"G28\nG1 X10\n", "gcode")


def moonraker(port: int, api_key: str = PEER_API_KEY, timeout_s: float = 2.0):
    return connect(
        ConnectionSettings("moonraker", "127.0.0.1", port, api_key=api_key, timeout_s=timeout_s)
    )


def test_job_runs_through_every_state(moonraker_peer):
    with moonraker(moonraker_peer.port) as machine:
        assert machine.status().state == MachineState.IDLE
        machine.dispatch(ORDER)
        running = machine.status()
        assert running.state == MachineState.BUSY
        assert tag_in(running.job_name) == ORDER.tag
        machine.pause()
        assert machine.status().state == MachineState.PAUSED
        machine.resume()
        done = wait_for_state(machine, MachineState.FINISHED, timeout_s=10)
        assert done.progress == 1.0
        assert done.material_used_mm == pytest.approx(100)
        machine.start(ORDER)
        machine.cancel()
        assert machine.status().state == MachineState.FAILED


def test_refusals_carry_moonraker_error(moonraker_peer):
    with moonraker(moonraker_peer.port) as machine:
        machine.dispatch(ORDER)
        with pytest.raises(MachineRefused, match="already in progress") as refused:
            machine.start(ORDER)
        assert refused.value.code == 400
        moonraker_peer.klippy_state = "shutdown"
        shutdown = machine.status()
        assert shutdown.state == MachineState.FAILED
        assert "SHUTDOWN" in shutdown.message
        moonraker_peer.klippy_state = "startup"
        assert machine.status().state == MachineState.OFFLINE


def test_lost_start_answer_is_ambiguous_and_prints_once(moonraker_peer):
    with (
        AnswerDroppingProxy(moonraker_peer.port) as proxy,
        moonraker(proxy.port, timeout_s=1.0) as machine,
    ):
        machine.upload(ORDER)
        proxy.drop_answers = True
        with pytest.raises(AmbiguousResult):
            machine.start(ORDER)
        proxy.drop_answers = False
        assert tag_in(machine.status().job_name) == ORDER.tag
    assert moonraker_peer.job.starts == [ORDER.name]


def test_wrong_key_slow_and_dead_machine(moonraker_peer, caplog):
    caplog.set_level(logging.DEBUG)
    with moonraker(moonraker_peer.port, api_key="not-the-key") as machine:
        with pytest.raises(AuthenticationFailed) as error:
            machine.status()
        assert "not-the-key" not in str(error.value) + repr(machine) + caplog.text
    moonraker_peer.delay_s = 1.0
    with (
        moonraker(moonraker_peer.port, timeout_s=0.3) as machine,
        pytest.raises(MachineUnreachable),
    ):
        machine.status()
    with moonraker(free_port()) as machine, pytest.raises(MachineUnreachable):
        machine.status()
