"""The connector contract's plain parts (tags, settings, kinds) and the parallel polling cycle."""

import time

import pytest

from odm_engine.machines.connectors import (
    CONNECTORS,
    ConnectionSettings,
    ConnectorError,
    MachineState,
    MachineUnreachable,
    connect,
    job_tag,
    tag_in,
)
from odm_engine.machines.connectors.base import Connector
from odm_engine.machines.polling import poll
from tests.peers.http_fakes import FakeMoonraker
from tests.peers.net import blackhole, free_port


def test_job_tag_round_trips_through_machine_names():
    tag = job_tag("WO/2026/0042", 3)
    assert tag == "odm-wo20260042-a3"
    for echoed in (f"/usb/{tag}.gcode", f"O1234_{tag.upper()}.NC", f"gcodes/sub/{tag}_plate.3mf"):
        assert tag_in(echoed) == tag
    assert tag_in("benchy.gcode") is None
    assert tag_in(None) is None
    with pytest.raises(ValueError, match="attempt"):
        job_tag("WO1", 0)
    with pytest.raises(ValueError, match="no letters or digits"):
        job_tag("///", 1)


def test_settings_never_show_secrets():
    settings = ConnectionSettings("octoprint", "printer.local", api_key="K3Y-SECRET", password="PW")
    shown = repr(settings) + repr(connect(settings))
    assert "K3Y-SECRET" not in shown
    assert "PW'" not in shown
    assert "printer.local" in shown


def test_every_kind_has_a_connector():
    assert set(CONNECTORS) == {"octoprint", "moonraker", "prusalink", "bambu", "opcua", "mtconnect"}
    with pytest.raises(ValueError, match="unknown machine kind 'reprap'"):
        connect(ConnectionSettings("reprap", "127.0.0.1"))


class _Broken(Connector):
    """A connector whose peer answered something it could not read."""

    def status(self):
        raise KeyError("printer")

    upload = start = pause = resume = cancel = status


def test_dead_and_slow_machines_cost_only_their_timeout():
    timeout_s = 0.5
    with (
        FakeMoonraker().serving() as fast,
        FakeMoonraker().serving() as slow,
        blackhole() as silent_port,
    ):
        slow.delay_s = 5.0

        def moonraker(port):
            return connect(ConnectionSettings("moonraker", "127.0.0.1", port, timeout_s=timeout_s))

        machines = {f"fast-{n}": moonraker(fast.port) for n in range(20)}
        machines.update(
            slow=moonraker(slow.port),
            closed=moonraker(free_port()),
            blackhole=moonraker(silent_port),
            broken=_Broken(ConnectionSettings("moonraker", "127.0.0.1")),
        )
        started = time.monotonic()
        results = poll(machines, timeout_s=timeout_s + 0.5, max_workers=32)
        elapsed = time.monotonic() - started
    assert elapsed < timeout_s + 0.5 + 0.3
    assert all(results[f"fast-{n}"].state == MachineState.IDLE for n in range(20))
    for dead in ("slow", "closed", "blackhole"):
        assert isinstance(results[dead], MachineUnreachable), dead
    assert isinstance(results["broken"], ConnectorError)
    assert "printer" not in str(results["broken"])
    assert poll({}) == {}
