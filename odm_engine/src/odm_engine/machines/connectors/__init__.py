"""Machine connectors by kind: one plain-Python interface (``base.Connector``) per protocol."""

import threading
from collections.abc import Hashable

from odm_engine.machines.connectors.base import (
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
from odm_engine.machines.connectors.bambu import BambuConnector
from odm_engine.machines.connectors.moonraker import MoonrakerConnector
from odm_engine.machines.connectors.mtconnect import MTConnectConnector
from odm_engine.machines.connectors.octoprint import OctoPrintConnector
from odm_engine.machines.connectors.opcua import OpcUaConnector
from odm_engine.machines.connectors.prusalink import PrusaLinkConnector

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


class SessionPool:
    """Connectors by machine, kept open between uses when their protocol holds a session (a
    pushed MQTT state is only current while the session lives); others are made for each use
    and closed after it. A kept connector whose settings changed, or that could not reach its
    machine, is closed and made again on the next use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Hashable, Connector] = {}

    def take(self, key: Hashable, settings: ConnectionSettings) -> Connector:
        """The kept connector of ``key`` if its settings are still ``settings``, else a new one;
        the caller hands it back with ``give_back``."""
        with self._lock:
            kept = self._open.pop(key, None)
        if kept is not None and kept.settings == settings:
            return kept
        if kept is not None:
            kept.close()
        return connect(settings)

    def give_back(self, key: Hashable, connector: Connector, reached: bool = True) -> None:
        """Keeps a session connector that reached its machine; closes any other."""
        if connector.keeps_session and reached:
            with self._lock:
                previous = self._open.pop(key, None)
                self._open[key] = connector
            if previous is not None and previous is not connector:
                previous.close()
        else:
            connector.close()
