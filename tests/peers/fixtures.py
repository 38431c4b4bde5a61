"""pytest fixtures of the real peers, loaded as a plugin (``pytest_plugins``) by the engine
tests and the Odoo tests of odm_machine_link alike.

A peer that cannot start fails its tests. One exception: a developer who never ran
``./odm setup`` has no OctoPrint environment, and its tests skip saying so; under CI (which
runs the setup) a missing OctoPrint fails like any other peer.
"""

import os

import pytest

from . import octoprint
from .bambu import bambu_printer
from .http_fakes import FakeMoonraker, FakeMTConnectAgent, FakePrusaLink
from .mosquitto import mosquitto_broker
from .opcua import opcua_machine_tool

PEER_API_KEY = "odm-test-key-0123456789abcdef"


@pytest.fixture
def octoprint_peer():
    """(base_url, api_key) of a fresh OctoPrint whose virtual printer is Operational."""
    if not octoprint.EXECUTABLE.exists():
        reason = f"OctoPrint {octoprint.VERSION} is not installed: run ./odm setup to build it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with octoprint.octoprint_server() as peer:
        yield peer


@pytest.fixture
def mqtt_broker():
    with mosquitto_broker() as broker:
        yield broker


@pytest.fixture
def bambu_peer(mqtt_broker):
    """(broker, printer, ftps_port) of a simulated Bambu printer on a real TLS broker."""
    with bambu_printer(mqtt_broker) as (printer, ftps_port):
        yield mqtt_broker, printer, ftps_port


@pytest.fixture
def opcua_peer():
    with opcua_machine_tool() as machine:
        yield machine


@pytest.fixture
def moonraker_peer():
    with FakeMoonraker(seconds=1.5, api_key=PEER_API_KEY).serving() as fake:
        yield fake


@pytest.fixture
def prusalink_peer():
    with FakePrusaLink(
        seconds=1.5, api_key=PEER_API_KEY, username="maker", password="odm-digest-secret"
    ).serving() as fake:
        yield fake


@pytest.fixture
def mtconnect_peer():
    with FakeMTConnectAgent().serving() as fake:
        yield fake
