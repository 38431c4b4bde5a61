"""PrusaLink connector against the PrusaLink v1 protocol fake (tests/peers/http_fakes.py)."""

import logging

import pytest

from odm_engine.machines.connectors import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectionSettings,
    JobFile,
    MachineRefused,
    MachineState,
    connect,
    job_tag,
    tag_in,
)
from tests.peers.fixtures import PEER_API_KEY
from tests.peers.net import AnswerDroppingProxy, wait_for_state

ORDER = JobFile(job_tag("WO-31", 2), "odm-wo31-a2.gcode", b"G28\nG1 X10\n", "gcode")


def prusalink(port: int, timeout_s: float = 2.0, **credentials):
    credentials = credentials or {"api_key": PEER_API_KEY}
    return connect(
        ConnectionSettings("prusalink", "127.0.0.1", port, timeout_s=timeout_s, **credentials)
    )


def test_upload_and_print_in_one_request(prusalink_peer):
    with prusalink(prusalink_peer.port) as machine:
        assert machine.status().state == MachineState.IDLE
        machine.dispatch(ORDER)
        running = machine.status()
        assert running.state == MachineState.BUSY
        assert running.job_name == ORDER.name  # the long name, not the 8.3 one
        assert 0 <= running.progress < 1
        done = wait_for_state(machine, MachineState.FINISHED, timeout_s=10)
        assert tag_in(done.job_name) == ORDER.tag
    assert prusalink_peer.job.starts == [ORDER.name]


def test_pause_resume_cancel_and_busy_refusal(prusalink_peer):
    with prusalink(prusalink_peer.port) as machine:
        machine.upload(ORDER)
        machine.start(ORDER)
        with pytest.raises(MachineRefused) as busy:
            machine.start(ORDER)
        assert busy.value.code == 409
        machine.pause()
        assert machine.status().state == MachineState.PAUSED
        machine.resume()
        assert machine.status().state == MachineState.BUSY
        machine.cancel()
        assert machine.status().state == MachineState.FAILED
        with pytest.raises(MachineRefused):
            machine.resume()


def test_digest_authentication(prusalink_peer, caplog):
    caplog.set_level(logging.DEBUG)
    with prusalink(prusalink_peer.port, username="maker", password="odm-digest-secret") as ok:
        assert ok.status().state == MachineState.IDLE
    with (
        prusalink(prusalink_peer.port, username="maker", password="guessed-secret") as wrong,
        pytest.raises(AuthenticationFailed) as error,
    ):
        wrong.status()
    assert "guessed-secret" not in str(error.value) + repr(wrong) + caplog.text


def test_lost_answer_is_ambiguous_and_prints_once(prusalink_peer):
    with (
        AnswerDroppingProxy(prusalink_peer.port) as proxy,
        prusalink(proxy.port, timeout_s=1.0) as machine,
    ):
        proxy.drop_answers = True
        with pytest.raises(AmbiguousResult):
            machine.dispatch(ORDER)
        proxy.drop_answers = False
        assert tag_in(machine.status().job_name) == ORDER.tag
    assert prusalink_peer.job.starts == [ORDER.name]
