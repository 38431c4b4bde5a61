"""Bambu connector against a simulated printer on a real mosquitto TLS broker and a real
implicit FTPS server (tests/peers/bambu.py)."""

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
    SessionPool,
    job_tag,
    tag_in,
)
from odm_engine.machines.connectors.bambu import BambuConnector
from tests.peers.bambu import bambu_printer
from tests.peers.mosquitto import mosquitto_broker
from tests.peers.net import free_port, wait_for_state

ORDER = JobFile(job_tag("WO-55", 1), "odm-wo55-a1.gcode", b"G28\nG1 X10\n", "gcode")


def bambu(peer, on_status=None, **overrides):
    broker, printer, ftps_port = peer
    settings = {
        "kind": "bambu",
        "host": broker.host,
        "port": broker.port,
        "password": broker.password,
        "serial": printer.serial,
        "verify_tls": broker.ca_file,
        "file_port": ftps_port,
        "timeout_s": 2.0,
        **overrides,
    }
    return BambuConnector(ConnectionSettings(**settings), on_status=on_status)


def test_print_pushes_status_to_the_end(bambu_peer):
    pushed = []
    with bambu(bambu_peer, on_status=pushed.append) as machine:
        assert machine.status().state == MachineState.IDLE
        machine.dispatch(ORDER)
        assert (bambu_peer[1].sdcard / ORDER.name).read_bytes() == ORDER.content
        machine.pause()
        assert wait_for_state(machine, MachineState.PAUSED).progress < 1
        machine.resume()
        done = wait_for_state(machine, MachineState.FINISHED, timeout_s=10)
        assert tag_in(done.job_name) == ORDER.tag
        # A session lives on between polls: nothing of the answered commands stays behind.
        assert machine.acks == {} and machine.awaited == set()
    progress = [status.progress for status in pushed if status.state == MachineState.BUSY]
    assert len(progress) > 10  # pushed by the printer, not asked for
    assert progress == sorted(progress)


def test_cancel_and_refusal(bambu_peer):
    with bambu(bambu_peer) as machine:
        machine.dispatch(ORDER)
        with pytest.raises(MachineRefused, match="busy"):
            machine.start(ORDER)
        machine.cancel()
        assert wait_for_state(machine, MachineState.FAILED).job_name == ORDER.name
        with pytest.raises(MachineRefused, match="file not found"):
            machine.start(JobFile("odm-wo1-a1", "odm-wo1-a1.gcode", b"", "gcode"))


def test_lost_confirmation_is_ambiguous_and_prints_once(bambu_peer):
    printer = bambu_peer[1]
    with bambu(bambu_peer) as machine:
        machine.upload(ORDER)
        printer.confirm_commands = False
        with pytest.raises(AmbiguousResult):
            machine.start(ORDER)
        assert tag_in(wait_for_state(machine, MachineState.BUSY).job_name) == ORDER.tag
    assert printer.starts == [ORDER.name]


def test_wrong_access_code_and_dead_printer(bambu_peer, caplog):
    caplog.set_level(logging.DEBUG)
    with bambu(bambu_peer, password="87654321") as machine:
        with pytest.raises(AuthenticationFailed) as mqtt_error:
            machine.status()
        with pytest.raises(AuthenticationFailed) as ftps_error:
            machine.upload(ORDER)
    text = str(mqtt_error.value) + str(ftps_error.value) + repr(machine) + caplog.text
    assert "87654321" not in text
    with bambu(bambu_peer, port=free_port(), file_port=free_port()) as machine:
        with pytest.raises(MachineUnreachable):
            machine.status()
        with pytest.raises(MachineUnreachable):
            machine.upload(ORDER)


def test_printer_gone_reads_unreachable():
    """The broker runs on the printer: when it goes, so does every report."""
    with mosquitto_broker() as broker, bambu_printer(broker) as (printer, ftps_port):
        machine = bambu((broker, printer, ftps_port))
        assert machine.status().state == MachineState.IDLE
    with pytest.raises(MachineUnreachable):
        machine.status()
    machine.close()


def test_session_pool_keeps_the_mqtt_session_between_readings(bambu_peer):
    """Odoo polls through a pool: a Bambu session stays open (its state is pushed), a change of
    settings or an unreachable printer makes a new one."""
    pool = SessionPool()
    settings = bambu(bambu_peer).settings
    first = pool.take("printer", settings)
    assert first.status().state == MachineState.IDLE
    pool.give_back("printer", first)
    again = pool.take("printer", settings)
    assert again is first and again.client is not None, "the open session is reused"
    pool.give_back("printer", again, reached=False)
    assert first.client is None, "an unreachable session is closed"
    renewed = pool.take("printer", settings)
    assert renewed is not first
    assert renewed.status().state == MachineState.IDLE
    pool.give_back("printer", renewed)
    changed = pool.take("printer", bambu(bambu_peer, timeout_s=3.0).settings)
    assert changed is not renewed and renewed.client is None
    changed.close()
