import logging

from psycopg2 import errors as pg_errors

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from odm_engine.machines.connectors.base import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectorError,
    MachineRefused,
    MachineState,
    MachineUnreachable,
    tag_in,
)
from odm_engine.mesh.errors import MeshError

_logger = logging.getLogger(__name__)

# Machine states in which a machine can take a new job as far as it knows.
STARTABLE = (MachineState.IDLE, MachineState.FINISHED, MachineState.FAILED)


class OdmMachineJobSendMixin(models.AbstractModel):
    """Handing a job's file to its machine once, whatever happens on the way (a queue job)."""

    _name = "odm.machine.job.send.mixin"
    _description = "Machine Job: Sending"

    def _queue_send(self):
        """One queue job per dispatch job (the identity key drops a second one); manual
        machines get nothing sent."""
        for job in self.filtered(lambda j: j.machine_id.link_kind != "manual"):
            job.with_delay(
                identity_key=identity_exact,
                description=self.env._(
                    "Send %(job)s to %(machine)s", job=job.name, machine=job.machine_id.name
                ),
            )._send()

    # ------------------------------------------------------------------ sending
    def _send(self):
        """Queue job: hand the file to the machine once, whatever happens on the way.

        The machine is read first: a job it already shows (an earlier try got through) is
        reconciled, never started again. A timeout after the start request (AmbiguousResult)
        leaves the job ``sent`` for the next reading to settle. Errors raised before the start
        request left (unreachable, upload timeout) roll the try back and retry with backoff.
        """
        self.ensure_one()
        self._lock_self()
        if self.state != "queued":
            return
        machine = self.machine_id
        connector = machine._connector()
        reached = True
        try:
            status = connector.status()
            machine._apply_status(status)
            if self.state != "queued":
                return
            if tag_in(status.job_name) == self.name:
                # Only a start makes a machine name the file as its job: one was sent before.
                self.state = "unknown"
                self.message_post(
                    body=self.env._(
                        "The machine already names this job (%(state)s) although it was never "
                        "confirmed started: check the machine, then mark the job done or failed.",
                        state=status.state.value,
                    )
                )
                return
            if status.state not in STARTABLE or not machine.bed_clear:
                self._cancel(
                    self.env._("The machine was not ready: %(state)s.", state=status.state.value)
                )
                return
            job_file = self._job_file()
            connector.upload(job_file)
            self.write({"state": "sent", "sent_at": fields.Datetime.now()})
            try:
                connector.start(job_file)
            except AmbiguousResult as error:
                self.message_post(body=self.env._("No answer to start: %(error)s", error=error))
            self._read_after_start(connector)
        except MachineUnreachable as error:
            reached = False
            machine.write({"link_state": "offline", "link_message": str(error)})
            self._retry_or_cancel(str(error))
        except (AuthenticationFailed, MachineRefused) as error:
            self._settle_refusal(connector, error)
        except AmbiguousResult as error:
            # The status read or the upload timed out: no start request left yet.
            self._retry_or_cancel(str(error))
        except ConnectorError as error:
            self._cancel(str(error))
        except (MeshError, ValueError, UserError) as error:
            self._cancel(self.env._("No job file: %(error)s", error=error))
        finally:
            machine._give_back_connector(connector, reached)

    def _read_after_start(self, connector):
        """Reads the machine once the start left; a failed reading changes nothing (the job
        stays sent for polling to settle), so the start can never be retried from here."""
        try:
            self.machine_id._apply_status(connector.status())
        except ConnectorError as error:
            _logger.info("Machine %s not read after start: %s", self.machine_id.id, error)

    def _lock_self(self):
        try:
            self.env.cr.execute(
                "SELECT id FROM odm_machine_job WHERE id = %s FOR UPDATE NOWAIT", [self.id]
            )
        except pg_errors.LockNotAvailable as error:
            raise RetryableJobError("job locked by another worker", seconds=10) from error
        self.invalidate_recordset()

    def _settle_refusal(self, connector, error):
        """A refusal may hide a start that got through: read the machine before giving up."""
        try:
            self.machine_id._apply_status(connector.status())
        except ConnectorError as reread_error:
            _logger.info(
                "Machine %s unreadable after a refusal: %s", self.machine_id.id, reread_error
            )
        if self.state in ("queued", "sent"):
            self._cancel(str(error))

    def _retry_or_cancel(self, reason):
        """Retries with queue_job's backoff while tries remain (the try is rolled back), then
        frees the work order. Only for errors raised before any start request left."""
        queued = (
            self.env["queue.job"]
            .sudo()
            .search([("uuid", "=", self.env.context.get("job_uuid"))], limit=1)
        )
        if queued and queued.retry < queued.max_retries:
            raise RetryableJobError(reason)
        self._cancel(reason)
