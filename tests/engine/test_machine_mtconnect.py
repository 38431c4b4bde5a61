"""MTConnect connector against the MTConnect agent fake (tests/peers/http_fakes.py)."""

import pytest

from odm_engine.machines.connectors import (
    ConnectionSettings,
    JobFile,
    MachineRefused,
    MachineState,
    connect,
    tag_in,
)


def agent(port: int, device: str | None = None):
    return connect(ConnectionSettings("mtconnect", "127.0.0.1", port, serial=device))


@pytest.mark.parametrize(
    ("execution", "state"),
    [
        ("READY", MachineState.IDLE),
        ("ACTIVE", MachineState.BUSY),
        ("FEED_HOLD", MachineState.PAUSED),
        ("INTERRUPTED", MachineState.PAUSED),
        ("PROGRAM_COMPLETED", MachineState.FINISHED),
        ("STOPPED", MachineState.FAILED),
    ],
)
def test_execution_maps_to_state(mtconnect_peer, execution, state):
    mtconnect_peer.observations.update(
        Execution=execution, Program="O1234_odm-wo5-a1.nc", PartCount="17"
    )
    with agent(mtconnect_peer.port, "VMC-3Axis") as machine:
        status = machine.status()
    assert status.state == state
    assert tag_in(status.job_name) == "odm-wo5-a1"
    assert status.part_count == 17


def test_fault_unavailable_and_unknown_device(mtconnect_peer):
    with agent(mtconnect_peer.port) as machine:
        mtconnect_peer.observations["Execution"] = "ACTIVE"
        mtconnect_peer.fault = "Spindle overload"
        faulted = machine.status()
        assert (faulted.state, faulted.message) == (MachineState.FAILED, "Spindle overload")
        mtconnect_peer.fault = None
        mtconnect_peer.observations["Availability"] = "UNAVAILABLE"
        assert machine.status().state == MachineState.OFFLINE
    with agent(mtconnect_peer.port, "LATHE-2") as machine, pytest.raises(MachineRefused) as error:
        machine.status()
    assert error.value.code == 404


def test_agent_takes_no_jobs(mtconnect_peer):
    with agent(mtconnect_peer.port) as machine, pytest.raises(MachineRefused, match="only reports"):
        machine.dispatch(JobFile("odm-wo5-a1", "odm-wo5-a1.nc", b"G0 X0\n", "nc"))
