"""Moonraker (Klipper) REST API, as documented at moonraker.readthedocs.io (web_api):
answers are ``{"result": ...}`` and failures ``{"error": {"code", "message"}}``;
``GET /printer/objects/query?print_stats&virtual_sdcard&webhooks`` gives the job state
(``print_stats.state``: standby, printing, paused, complete, cancelled, error) and Klippy's
(``webhooks.state``: ready, startup, shutdown, error); ``POST /server/files/upload`` (multipart
``file``, ``root=gcodes``) uploads, ``POST /printer/print/start?filename=`` starts, and
``/printer/print/pause|resume|cancel`` act on the job. The key travels in ``X-Api-Key``."""

from odm_engine.machines.connectors.base import MachineState, MachineStatus
from odm_engine.machines.connectors.http import HttpConnector

PRINT_STATES = {
    "standby": MachineState.IDLE,
    "printing": MachineState.BUSY,
    "paused": MachineState.PAUSED,
    "complete": MachineState.FINISHED,
    "cancelled": MachineState.FAILED,
    "error": MachineState.FAILED,
}


class MoonrakerConnector(HttpConnector):
    default_port = 7125

    def __init__(self, settings):
        super().__init__(settings)
        if settings.api_key:
            self.session.headers["X-Api-Key"] = settings.api_key

    def error_text(self, response) -> str:
        try:
            return str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            return super().error_text(response)

    def status(self) -> MachineStatus:
        answer = self.request(
            "GET", "/printer/objects/query", params="print_stats&virtual_sdcard&webhooks"
        )
        objects = answer.json()["result"]["status"]
        klippy = objects.get("webhooks", {})
        if klippy.get("state") in ("startup", "shutdown", "error"):
            state = MachineState.OFFLINE if klippy["state"] == "startup" else MachineState.FAILED
            return MachineStatus(state, message=self.scrub(klippy.get("state_message") or ""))
        stats = objects.get("print_stats", {})
        progress = objects.get("virtual_sdcard", {}).get("progress")
        state = PRINT_STATES.get(stats.get("state"), MachineState.FAILED)
        return MachineStatus(
            state=state,
            job_name=stats.get("filename") or None,
            progress=progress if state != MachineState.IDLE else None,
            elapsed_s=stats.get("print_duration"),
            material_used_mm=stats.get("filament_used"),
            message=self.scrub(stats.get("message") or "") or None,
        )

    def upload(self, job) -> None:
        self.request(
            "POST",
            "/server/files/upload",
            changes_machine=True,
            files={"file": (job.name, job.content, "application/octet-stream")},
            data={"root": "gcodes"},
        )

    def start(self, job) -> None:
        self.request(
            "POST", "/printer/print/start", changes_machine=True, params={"filename": job.name}
        )

    def pause(self) -> None:
        self.request("POST", "/printer/print/pause", changes_machine=True)

    def resume(self) -> None:
        self.request("POST", "/printer/print/resume", changes_machine=True)

    def cancel(self) -> None:
        self.request("POST", "/printer/print/cancel", changes_machine=True)
