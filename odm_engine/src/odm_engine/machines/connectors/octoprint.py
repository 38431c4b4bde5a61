"""OctoPrint REST API (docs.octoprint.org, API 1.11): ``GET /api/job`` for the connection's
state text, its last error, the selected file and its progress; ``GET /api/printer`` for the
printer's state flags (409 while no printer is connected); ``POST /api/files/local`` (multipart
``file``, ``select``, ``print``) to upload; ``POST /api/files/local/<name>`` with
``{"command": "select", "print": true}`` to start; ``POST /api/job`` with ``pause``/``cancel``
commands. The key travels in ``X-Api-Key``.

OctoPrint keeps a finished job's 100 % progress but resets it on cancel, so a cancelled job
reads IDLE (with its file still named), not FAILED."""

from odm_engine.machines.connectors.base import MachineRefused, MachineState, MachineStatus
from odm_engine.machines.connectors.http import HttpConnector


class OctoPrintConnector(HttpConnector):
    def __init__(self, settings):
        super().__init__(settings)
        self.session.headers["X-Api-Key"] = settings.api_key or ""

    def status(self) -> MachineStatus:
        job = self.request("GET", "/api/job").json()
        error = job.get("error")
        if job.get("state", "").startswith(("Offline", "Closed", "Error")):
            # The printer is not connected to OctoPrint: after an error that is a failure.
            if error:
                return MachineStatus(MachineState.FAILED, message=self.scrub(error))
            return MachineStatus(MachineState.OFFLINE, message="printer not connected")
        try:
            printer = self.request("GET", "/api/printer", params={"exclude": "temperature,sd"})
        except MachineRefused as refused:
            if refused.code == 409:  # disconnected between the two readings
                return MachineStatus(MachineState.OFFLINE, message="printer not connected")
            raise
        flags = printer.json()["state"]["flags"]
        file_name = (job.get("job") or {}).get("file", {}).get("name")
        progress = job.get("progress") or {}
        completion = progress.get("completion")
        filament = ((job.get("job") or {}).get("filament") or {}).get("tool0") or {}  # per tool
        if flags.get("paused"):
            state = MachineState.PAUSED
        elif any(flags.get(flag) for flag in ("printing", "pausing", "cancelling", "finishing")):
            state = MachineState.BUSY
        elif file_name and completion is not None and completion >= 100:
            state = MachineState.FINISHED
        else:
            state = MachineState.IDLE
        busy = state in (MachineState.BUSY, MachineState.PAUSED)
        return MachineStatus(
            state=state,
            job_name=file_name,
            progress=completion / 100 if completion is not None else None,
            elapsed_s=progress.get("printTime"),
            remaining_s=progress.get("printTimeLeft") if busy else None,
            material_used_mm=filament.get("length"),
            message=self.scrub(error or job.get("state") or "") or None,
        )

    def upload(self, job) -> None:
        self.request(
            "POST",
            "/api/files/local",
            changes_machine=True,
            files={"file": (job.name, job.content, "application/octet-stream")},
            data={"select": "false", "print": "false"},
        )

    def start(self, job) -> None:
        self.request(
            "POST",
            f"/api/files/local/{job.name}",
            changes_machine=True,
            json={"command": "select", "print": True},
        )

    def pause(self) -> None:
        self._job_command("pause", action="pause")

    def resume(self) -> None:
        self._job_command("pause", action="resume")

    def cancel(self) -> None:
        self._job_command("cancel")

    def _job_command(self, command: str, **parameters) -> None:
        self.request(
            "POST", "/api/job", changes_machine=True, json={"command": command, **parameters}
        )
