"""PrusaLink API v1 (prusa3d/Prusa-Link-Web, spec/openapi.yaml): ``GET /api/v1/status`` gives
``printer.state`` (IDLE, BUSY, PRINTING, PAUSED, FINISHED, STOPPED, ERROR, ATTENTION, READY) and
the job's id, progress (percent) and times; ``GET /api/v1/job`` names the job's file (204 when
there is none); ``PUT /api/v1/files/usb/<name>`` stores a file (headers ``Print-After-Upload``
and ``Overwrite`` as structured booleans ``?0``/``?1``; 201), ``POST /api/v1/files/usb/<name>``
prints it (204; 409 when a job runs), ``PUT /api/v1/job/<id>/pause|resume`` and
``DELETE /api/v1/job/<id>`` act on the job. Authentication: ``X-Api-Key`` or HTTP digest."""

from requests.auth import HTTPDigestAuth

from odm_engine.machines.connectors.base import MachineRefused, MachineState, MachineStatus
from odm_engine.machines.connectors.http import HttpConnector

PRINTER_STATES = {
    "IDLE": MachineState.IDLE,
    "READY": MachineState.IDLE,
    "BUSY": MachineState.BUSY,
    "PRINTING": MachineState.BUSY,
    "PAUSED": MachineState.PAUSED,
    "ATTENTION": MachineState.PAUSED,  # the job waits for someone at the printer
    "FINISHED": MachineState.FINISHED,
    "STOPPED": MachineState.FAILED,
    "ERROR": MachineState.FAILED,
}
STORAGE = "usb"


class PrusaLinkConnector(HttpConnector):
    def __init__(self, settings):
        super().__init__(settings)
        if settings.api_key:
            self.session.headers["X-Api-Key"] = settings.api_key
        else:
            self.session.auth = HTTPDigestAuth(
                settings.username or "maker", settings.password or ""
            )

    def status(self) -> MachineStatus:
        reading = self.request("GET", "/api/v1/status").json()
        printer, job = reading.get("printer", {}), reading.get("job") or {}
        state = PRINTER_STATES.get(printer.get("state"), MachineState.FAILED)
        job_name = None
        if job.get("id") is not None:
            answer = self.request("GET", "/api/v1/job")
            if answer.status_code == 200:
                file = answer.json().get("file") or {}
                job_name = file.get("display_name") or file.get("name")
        note = (printer.get("status_printer") or {}).get("message")
        return MachineStatus(
            state=state,
            job_name=job_name,
            progress=job["progress"] / 100 if job.get("progress") is not None else None,
            elapsed_s=job.get("time_printing"),
            remaining_s=job.get("time_remaining"),
            message=self.scrub(note or printer.get("state") or "") or None,
        )

    def upload(self, job) -> None:
        self._put_file(job, print_after_upload=False)

    def dispatch(self, job) -> None:
        """Upload and print in one request, so no window exists between the two."""
        self._put_file(job, print_after_upload=True)

    def start(self, job) -> None:
        self.request("POST", f"/api/v1/files/{STORAGE}/{job.name}", changes_machine=True)

    def pause(self) -> None:
        self.request("PUT", f"/api/v1/job/{self._job_id()}/pause", changes_machine=True)

    def resume(self) -> None:
        self.request("PUT", f"/api/v1/job/{self._job_id()}/resume", changes_machine=True)

    def cancel(self) -> None:
        self.request("DELETE", f"/api/v1/job/{self._job_id()}", changes_machine=True)

    def _put_file(self, job, print_after_upload: bool) -> None:
        self.request(
            "PUT",
            f"/api/v1/files/{STORAGE}/{job.name}",
            changes_machine=True,
            data=job.content,
            headers={
                "Content-Type": "text/x.gcode",
                "Print-After-Upload": "?1" if print_after_upload else "?0",
                "Overwrite": "?1",
            },
        )

    def _job_id(self) -> int:
        job = self.request("GET", "/api/v1/status").json().get("job") or {}
        if job.get("id") is None:
            raise MachineRefused("the printer has no job to act on", code=409)
        return job["id"]
