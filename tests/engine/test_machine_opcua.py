"""OPC UA connector against a real asyncua server exposing an OPC 40501 machine tool."""

import logging

import pytest

from odm_engine.machines.connectors import (
    AuthenticationFailed,
    ConnectionSettings,
    JobFile,
    MachineRefused,
    MachineState,
    MachineUnreachable,
    connect,
    tag_in,
)
from tests.peers.net import free_port
from tests.peers.opcua import opcua_machine_tool


def machine_tool(url: str, **settings):
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    return connect(ConnectionSettings("opcua", "127.0.0.1", port, timeout_s=2, **settings))


def test_active_program_state_and_part_count(opcua_peer):
    with machine_tool(opcua_peer.url) as machine:
        idle = machine.status()
        assert (idle.state, idle.job_name) == (MachineState.IDLE, None)
        for state_text, state in [
            ("Running", MachineState.BUSY),
            ("Interrupted", MachineState.PAUSED),
            ("Ended", MachineState.FINISHED),
            ("Aborted", MachineState.FAILED),
        ]:
            opcua_peer.run("odm-wo77-a1.nc", state_text, parts_completed=3)
            status = machine.status()
            assert (status.state, status.message) == (state, state_text)
            assert tag_in(status.job_name) == "odm-wo77-a1"
            assert status.part_count == 3


def test_machine_named_by_serial_and_monitoring_only(opcua_peer):
    with machine_tool(opcua_peer.url, serial="MachineTool") as machine:
        assert machine.status().state == MachineState.IDLE
        with pytest.raises(MachineRefused, match="no NC program"):
            machine.start(JobFile("odm-wo77-a1", "odm-wo77-a1.nc", b"G0 X0\n", "nc"))
    with machine_tool(opcua_peer.url, serial="Lathe") as machine, pytest.raises(MachineRefused):
        machine.status()


def test_credentials_and_unreachable(caplog):
    caplog.set_level(logging.DEBUG)
    with opcua_machine_tool(username="operator", password="opc-secret") as server:
        with machine_tool(server.url, username="operator", password="opc-secret") as machine:
            assert machine.status().state == MachineState.IDLE
        with (
            machine_tool(server.url, username="operator", password="wrong-opc") as machine,
            pytest.raises(AuthenticationFailed) as error,
        ):
            machine.status()
    assert "wrong-opc" not in str(error.value) + repr(machine) + caplog.text
    with (
        machine_tool(f"opc.tcp://127.0.0.1:{free_port()}") as machine,
        pytest.raises(MachineUnreachable),
    ):
        machine.status()


def test_server_gone_mid_session_reads_unreachable():
    with opcua_machine_tool() as server, machine_tool(server.url) as machine:
        assert machine.status().state == MachineState.IDLE
        server.power_off()
        with pytest.raises(MachineUnreachable):
            machine.status()
