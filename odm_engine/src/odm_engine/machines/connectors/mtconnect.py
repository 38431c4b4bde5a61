"""MTConnect agent (MTConnect Standard Part 1-3, REST protocol): ``GET /current`` answers an
``MTConnectStreams`` document whose observations are read by data item type: ``Execution``
(READY, ACTIVE, INTERRUPTED, FEED_HOLD, STOPPED, OPTIONAL_STOP, PROGRAM_STOPPED,
PROGRAM_OPTIONAL_STOP, PROGRAM_COMPLETED, WAIT), ``Program``/``ProgramHeader``, ``PartCount``,
``Availability`` and ``Condition`` (Normal, Warning, Fault, Unavailable). An agent only reports:
machines behind MTConnect are monitored, and jobs reach them another way. The document is parsed
by defusedxml (no DTD, entity or external reference) after a size-capped read."""

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from odm_engine.machines.connectors.base import (
    ConnectorError,
    MachineState,
    MachineStatus,
    MonitoringOnly,
)
from odm_engine.machines.connectors.http import HttpConnector

EXECUTION_STATES = {
    "READY": MachineState.IDLE,
    "ACTIVE": MachineState.BUSY,
    "WAIT": MachineState.BUSY,
    "INTERRUPTED": MachineState.PAUSED,
    "FEED_HOLD": MachineState.PAUSED,
    "OPTIONAL_STOP": MachineState.PAUSED,
    "PROGRAM_STOPPED": MachineState.PAUSED,
    "PROGRAM_OPTIONAL_STOP": MachineState.PAUSED,
    "PROGRAM_COMPLETED": MachineState.FINISHED,
    "STOPPED": MachineState.FAILED,
}
CONDITION_LEVELS = ("Normal", "Warning", "Fault", "Unavailable")
MONITORING_ONLY = "an MTConnect agent only reports: send the NC program to the machine directly"


class MTConnectConnector(MonitoringOnly, HttpConnector):
    default_port = 5000
    monitoring_only = MONITORING_ONLY

    def status(self) -> MachineStatus:
        path = f"/{self.settings.serial}/current" if self.settings.serial else "/current"
        try:
            root = parse_xml(self.request("GET", path).content, forbid_dtd=True)
        except ET.ParseError as error:
            raise ConnectorError(f"{self.base_url} answered no MTConnect document") from error
        except DefusedXmlException as error:
            raise ConnectorError(
                f"{self.base_url} answered an XML document with a DTD or entities, which "
                "MTConnect never needs; it was not read"
            ) from error
        observations = {}
        faults = []
        for element in root.iter():
            if not element.get("dataItemId"):
                continue
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "Fault":
                faults.append((element.text or element.get("type") or "fault").strip())
            elif tag not in CONDITION_LEVELS:
                observations.setdefault(tag, (element.text or "").strip())
        if observations.get("Availability") == "UNAVAILABLE" or (
            observations.get("Execution", "UNAVAILABLE") == "UNAVAILABLE"
        ):
            return MachineStatus(MachineState.OFFLINE, message="the agent has no data from it")
        state = EXECUTION_STATES.get(observations["Execution"], MachineState.BUSY)
        if faults:
            state = MachineState.FAILED
        program = observations.get("Program") or observations.get("ProgramHeader")
        count = observations.get("PartCount", "")
        return MachineStatus(
            state=state,
            job_name=program if program and program != "UNAVAILABLE" else None,
            part_count=int(float(count)) if count.replace(".", "", 1).isdigit() else None,
            message="; ".join(faults) or observations["Execution"],
        )
