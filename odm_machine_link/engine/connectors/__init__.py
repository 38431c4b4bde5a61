"""Machine connectors by kind: one plain-Python interface (``base.Connector``) per protocol."""

from .base import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectionSettings,
    Connector,
    ConnectorError,
    JobFile,
    MachineRefused,
    MachineState,
    MachineStatus,
    MachineUnreachable,
    job_tag,
    tag_in,
)
from .bambu import BambuConnector
from .moonraker import MoonrakerConnector
from .mtconnect import MTConnectConnector
from .octoprint import OctoPrintConnector
from .opcua import OpcUaConnector
from .prusalink import PrusaLinkConnector

CONNECTORS: dict[str, type[Connector]] = {
    "octoprint": OctoPrintConnector,
    "moonraker": MoonrakerConnector,
    "prusalink": PrusaLinkConnector,
    "bambu": BambuConnector,
    "opcua": OpcUaConnector,
    "mtconnect": MTConnectConnector,
}


def connect(settings: ConnectionSettings) -> Connector:
    """The connector for ``settings.kind``; an unknown kind is a clear error."""
    try:
        connector_class = CONNECTORS[settings.kind]
    except KeyError:
        known = ", ".join(sorted(CONNECTORS))
        raise ValueError(f"unknown machine kind {settings.kind!r} (known: {known})") from None
    return connector_class(settings)
