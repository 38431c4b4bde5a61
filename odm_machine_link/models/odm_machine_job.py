import base64
import functools
import logging
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

from odm_engine.machines import jobfiles, machine_dispatch
from odm_engine.machines.connectors.base import (
    AmbiguousResult,
    AuthenticationFailed,
    ConnectorError,
    JobFile,
    MachineRefused,
    MachineState,
    MachineUnreachable,
    job_tag,
    tag_in,
)
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.loaders import load_part
from odm_engine.slicing import slicer

from .odm_machine import CLEARANCE_TECHNOLOGIES, DISPATCH_KINDS

_logger = logging.getLogger(__name__)

JOB_STATES = [
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("running", "Running"),
    ("paused", "Paused"),
    ("finished", "Finished: clear the bed"),
    ("unknown", "Unknown: check the machine"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
# The machine holds (or may hold) the job's parts: at most one such job per machine and per
# work order or build job, enforced by partial unique indexes.
ACTIVE_STATES = ("queued", "sent", "running", "paused", "finished", "unknown")
# Extensions of NC programs attached to CNC work orders.
NC_EXTENSIONS = (".nc", ".ngc", ".gcode", ".tap", ".cnc", ".mpf", ".h")
# A job sent this long ago that the machine shows no sign of is handed to an operator.
SENT_GRACE = timedelta(minutes=2)
# Work cancelled this many times (machine refused, unreachable...) within HOLD_FOR waits.
HOLD_AFTER_CANCELS = 3
HOLD_FOR = timedelta(hours=1)
# Machine states in which a machine can take a new job as far as it knows.
STARTABLE = (MachineState.IDLE, MachineState.FINISHED, MachineState.FAILED)


class OdmMachineJob(models.Model):
    """One dispatch of a work order (or of a build job's plate) to one machine.

    The job's ``name`` is the engine's tag (``odm-wo42-a1``): the file sent to the machine
    carries it and the machine echoes it back, which is how a reading is matched to the job
    after a timeout, a conflict or an outage instead of starting it again. Partial unique
    indexes keep at most one active job per machine and per work order or build job, so a
    second dispatcher racing the first fails in the database rather than printing twice.
    """

    _name = "odm.machine.job"
    _description = "Machine Job"
    _inherit = ["mail.thread"]
    _order = "id desc"

    ACTIVE = ACTIVE_STATES

    name = fields.Char("Tag", required=True, readonly=True, copy=False, index=True)
    subject = fields.Char(
        required=True, readonly=True, help="What is dispatched: wo<id> or bj<id>."
    )
    attempt = fields.Integer(required=True, readonly=True, default=1)
    machine_id = fields.Many2one(
        "odm.machine", required=True, readonly=True, ondelete="restrict", index=True
    )
    link_kind = fields.Selection(related="machine_id.link_kind")
    workorder_ids = fields.Many2many("mrp.workorder", string="Work orders", readonly=True)
    build_job_id = fields.Many2one("odm.build.job", readonly=True, ondelete="set null")
    product_id = fields.Many2one(related="workorder_ids.product_id", string="Product")
    state = fields.Selection(
        JOB_STATES, required=True, default="queued", readonly=True, tracking=True, index=True
    )
    file = fields.Binary("Job file", attachment=True, readonly=True, copy=False)
    file_name = fields.Char(readonly=True)
    expected_time_min = fields.Float("Expected (min)", readonly=True, digits=(12, 1))
    expected_material_g = fields.Float("Expected material (g)", readonly=True, digits=(12, 1))
    sent_at = fields.Datetime(readonly=True)
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    duration_min = fields.Float("Duration (min)", readonly=True, digits=(12, 1))
    material_used_g = fields.Float("Material used (g)", readonly=True, digits=(12, 1))
    progress = fields.Float("Progress (%)", readonly=True, aggregator=None)
    eta = fields.Datetime("Expected end", readonly=True)
    machine_echo = fields.Char("Machine reports", readonly=True)
    failure_reason = fields.Text(readonly=True)
    scrap_ids = fields.Many2many("stock.scrap", string="Scrapped", readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        ("tag_uniq", "unique(name)", "A job tag is used once."),
    ]

    def init(self):
        """The indexes that make a double dispatch impossible, whatever the code does."""
        for column in ("machine_id", "subject"):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s) WHERE state IN %s",
                    SQL.identifier(f"{self._table}_active_{column}_uniq"),
                    SQL.identifier(self._table),
                    SQL.identifier(column),
                    ACTIVE_STATES,
                )
            )

    # ------------------------------------------------------------------ dispatch
    @api.model
    def _cron_dispatch(self):
        self._dispatch_ready()

    @api.model
    def _dispatch_ready(self):
        """Pairs ready work with free machines, creates one job per pair and queues sending.

        Machines and work orders are locked with ``FOR UPDATE SKIP LOCKED``: a concurrent
        dispatcher skips what this one holds. Returns the jobs created.
        """
        machines = self._lock(
            "odm.machine",
            self.env["odm.machine"].search([("link_kind", "in", DISPATCH_KINDS)]).ids,
        )
        if not machines:
            return self.browse()
        machines = self.env["odm.machine"].browse(machines)
        works = self._ready_works()
        locked = set(self._lock("mrp.workorder", [wo.id for ws in works.values() for wo in ws[0]]))
        works = {
            subject: work
            for subject, work in works.items()
            if all(wo.id in locked for wo in work[0])
        }
        if not works:
            return self.browse()
        busy = set(self.search([("state", "in", ACTIVE_STATES)]).machine_id.ids)
        maintenance = machines._under_maintenance_ids()
        described = [
            machine_dispatch.Machine(
                key=machine.id,
                process=machine.process_id.id,
                loaded_material=machine.loaded_material_id.id or None,
                envelope_mm=(machine.build_x_mm, machine.build_y_mm, machine.build_z_mm),
                nozzle_mm=machine.nozzle_diameter_mm or None,
                state=machine._ready_state(),
                bed_clear=machine.bed_clear,
                under_maintenance=machine.id in maintenance,
                busy_with_job=machine.id in busy,
            )
            for machine in machines
        ]
        ordered = sorted(works.items(), key=lambda item: _urgency(item[1][0]))
        demands = [self._work_of(subject, *work, machines) for subject, work in ordered]
        pairs = machine_dispatch.assign(demands, described, starts_allowed=self._starts_allowed())
        jobs = self.browse()
        for subject, machine_id in pairs:
            workorders, build_job = works[subject]
            jobs |= self._create_for(subject, workorders, build_job, machines.browse(machine_id))
        jobs._queue_send()
        return jobs

    @api.model
    def _lock(self, model, ids):
        """The ids among ``ids`` this transaction could lock (others are another worker's)."""
        if not ids:
            return []
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id IN %s ORDER BY id FOR UPDATE SKIP LOCKED",
                SQL.identifier(self.env[model]._table),
                tuple(ids),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _ready_works(self):
        """{subject: (work orders, build job)} of ready machine steps with no active job: a
        build job whose members are all ready, or a single work order."""
        workorders = self.env["mrp.workorder"].search(
            [
                ("state", "=", "ready"),
                ("production_id.state", "in", ("confirmed", "progress")),
                ("operation_id.odm_duration_mode", "=", "machine"),
                ("odm_machine_job_id", "=", False),
            ],
            order="id",
        )
        held = self._held_subjects()
        works = {}
        for workorder in workorders:
            build_job = workorder.odm_build_job_id
            if not build_job:
                works[f"wo{workorder.id}"] = (workorder, build_job)
                continue
            members = build_job.workorder_ids.filtered(lambda wo: wo.state != "cancel")
            if members <= workorders:
                works[f"bj{build_job.id}"] = (members, build_job)
        return {subject: work for subject, work in works.items() if subject not in held}

    @api.model
    def _held_subjects(self):
        """Work that machines refused ``HOLD_AFTER_CANCELS`` times within ``HOLD_FOR``: it
        waits instead of being sliced and refused again every minute."""
        since = fields.Datetime.now() - HOLD_FOR
        groups = self._read_group(
            [("state", "=", "cancelled"), ("write_date", ">=", since)],
            ["subject"],
            having=[("__count", ">=", HOLD_AFTER_CANCELS)],
        )
        return {subject for (subject,) in groups}

    @api.model
    def _work_of(self, subject, workorders, build_job, machines):
        """The engine's view of one work order or build job; a build job's layout is checked
        against each of ``machines`` by odm_mrp's own rule (the one its planning used)."""
        quote = workorders[:1].production_id.bom_id.odm_quote_id
        part = quote.part_id
        size, holders = (part.size_x_mm, part.size_y_mm, part.size_z_mm), None
        if build_job:
            size, holders = None, frozenset(machines.filtered(build_job._fits_on).ids)
        preferred = self.env["odm.machine"].search(
            [("workcenter_id", "in", workorders.workcenter_id.ids)]
        )
        return machine_dispatch.Work(
            key=subject,
            process=quote.process_id.id,
            material=quote.material_id.id,
            size_mm=size,
            holders=holders,
            nozzle_mm=self._quoted_nozzle(quote),
            preferred=tuple(preferred.ids),
        )

    @api.model
    def _quoted_nozzle(self, quote):
        """FDM: the nozzle of the printer profile the part was quoted on (its walls and
        details were judged for it); None for other processes."""
        if quote.process_id.technology != "fdm":
            return None
        machine_type = self.env["odm.machine.type"].search(
            [("code", "=", (quote.result or {}).get("machine"))], limit=1
        )
        return _profile_nozzle_mm(machine_type.slicer_printer or slicer.DEFAULT_PRINTER)

    @api.model
    def _starts_allowed(self):
        stagger = float(
            self.env["ir.config_parameter"].sudo().get_param("odm_machine_link.stagger_s") or 0
        )
        last = self.search([("sent_at", "!=", False)], order="sent_at desc", limit=1).sent_at
        since = (fields.Datetime.now() - last).total_seconds() if last else None
        return machine_dispatch.starts_allowed(stagger, since)

    @api.model
    def _create_for(self, subject, workorders, build_job, machine):
        attempt = self.search_count([("subject", "=", subject)]) + 1
        job = self.create(
            {
                "name": job_tag(subject, attempt),
                "subject": subject,
                "attempt": attempt,
                "machine_id": machine.id,
                "workorder_ids": [fields.Command.set(workorders.ids)],
                "build_job_id": build_job.id,
                "company_id": workorders[:1].company_id.id or self.env.company.id,
                "expected_time_min": sum(workorders.mapped("duration_expected")),
            }
        )
        workorders.write({"odm_machine_job_id": job.id, "workcenter_id": machine.workcenter_id.id})
        machine.sudo().current_job_id = job
        return job

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

    def _job_file(self):
        """The stored file, or a new one made and stored now."""
        if self.file:
            return JobFile(
                tag=self.name,
                name=self.file_name,
                content=base64.b64decode(self.with_context(bin_size=False).file),
                kind="nc" if self.machine_id.technology == "cnc" else "gcode",
            )
        technology = self.machine_id.technology
        if technology == "cnc":
            job_file = self._nc_file()
        elif technology == "fdm":
            sliced = self._slice()
            job_file = sliced.file
            self.write(
                {
                    "expected_time_min": sliced.print_time_s / 60,
                    "expected_material_g": sliced.material_g,
                }
            )
        else:
            raise UserError(
                self.env._(
                    "%(technology)s machines take no files from Odoo: link them as manual.",
                    technology=technology,
                )
            )
        self.write({"file": base64.b64encode(job_file.content), "file_name": job_file.name})
        return job_file

    def _nc_file(self):
        workorder = self.workorder_ids[:1]
        programs = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", "mrp.workorder"), ("res_id", "=", workorder.id)],
                order="id desc",
            )
            .filtered(lambda att: att.name.lower().endswith(NC_EXTENSIONS))
        )
        if not programs:
            raise UserError(
                self.env._(
                    "Work order %(wo)s has no NC program attached.", wo=workorder.display_name
                )
            )
        return jobfiles.nc_job(self.name, programs[0].name, programs[0].raw)

    def _slice(self):
        machine = self.machine_id
        printer = machine.slicer_printer
        material = machine.slicer_material or (machine.loaded_material_id.code or "").upper()
        if not printer:
            raise UserError(
                self.env._("Machine %(name)s has no slicer printer profile.", name=machine.name)
            )
        if self.build_job_id:
            return jobfiles.slice_plate(self.name, self._plate_pieces(), printer, material)
        part = self.workorder_ids.production_id.bom_id.odm_quote_id.part_id
        return jobfiles.slice_job(
            self.name, _mesh(part), part.analysis["orientation"]["rotation"], printer, material
        )

    def _plate_pieces(self):
        meshes = {}
        pieces = []
        for placement in self.build_job_id.layout["placements"]:
            workorder = self.env["mrp.workorder"].browse(placement["workorder_id"])
            part = workorder.production_id.bom_id.odm_quote_id.part_id
            if part not in meshes:
                meshes[part] = _mesh(part)
            pieces.append(
                jobfiles.PlatePiece(
                    part=meshes[part],
                    rotation=part.analysis["orientation"]["rotation"],
                    rotation_deg=placement["rotation_deg"],
                    outline=placement["outline"],
                )
            )
        return pieces

    # ------------------------------------------------------------------ readings
    def _reconcile(self, status):
        """Brings this job in line with a reading of its machine, matched by tag."""
        for job in self:
            ours = tag_in(status.job_name) == job.name
            job.machine_echo = status.job_name or False
            if not ours:
                job._not_seen(status)
            elif status.state in (MachineState.BUSY, MachineState.PAUSED):
                job._running(status)
            elif status.state == MachineState.FINISHED:
                job._finished(status)
            elif status.state == MachineState.FAILED and job.state != "finished":
                # A finished print stays the operator's call, even if the machine errs later.
                job._fail(status.message or job.env._("The machine reported a failure."))

    def _not_seen(self, status):
        """The machine shows another job or none: a job it should be running becomes unknown."""
        if self.state in ("running", "paused") or (
            self.state == "sent" and fields.Datetime.now() - self.sent_at > SENT_GRACE
        ):
            self.state = "unknown"
            self.message_post(
                body=self.env._(
                    "The machine shows no sign of this job (%(state)s, %(name)s): check it, then "
                    "mark the job done or failed.",
                    state=status.state.value,
                    name=status.job_name or "-",
                )
            )

    def _running(self, status):
        now = fields.Datetime.now()
        values = {
            "state": "running" if status.state == MachineState.BUSY else "paused",
            "progress": 100 * (status.progress or 0.0),
            "eta": now + timedelta(seconds=status.remaining_s) if status.remaining_s else False,
        }
        if not self.started_at:
            values["started_at"] = now - timedelta(seconds=status.elapsed_s or 0.0)
            self.workorder_ids.filtered(lambda wo: wo.state == "ready").button_start()
        self.write(values)

    def _finished(self, status):
        """The machine ended the job well: printers wait for the bed to be cleared, other
        machines complete at once."""
        if self.state not in ("queued", "sent", "running", "paused", "unknown"):
            return
        material_g = None
        if status.material_used_mm:
            material = self.workorder_ids[:1].production_id.bom_id.odm_quote_id.material_id
            material_g = jobfiles.filament_grams(status.material_used_mm, material.density_g_cm3)
        self._finish(status.elapsed_s, material_g)
        if self.machine_id.technology in CLEARANCE_TECHNOLOGIES:
            self.machine_id.sudo().bed_clear = False
        else:
            self._complete()

    def _finish(self, elapsed_s=None, material_g=None):
        """Records the job as finished now, with its real duration (the machine's own count
        when it gave one, else the time since it started) and material (what the machine
        reported, else what was recorded or sliced)."""
        now = fields.Datetime.now()
        if self.started_at:
            started = self.started_at
        elif elapsed_s:
            started = now - timedelta(seconds=elapsed_s)
        else:
            started = self.sent_at or now
        self.write(
            {
                "state": "finished",
                "finished_at": now,
                "progress": 100.0,
                "eta": False,
                "started_at": started,
                "duration_min": elapsed_s / 60
                if elapsed_s
                else self.duration_min or (now - started).total_seconds() / 60,
                "material_used_g": material_g or self.material_used_g or self.expected_material_g,
            }
        )

    def _lost_contact(self, reason):
        """The machine stopped answering: its job is kept, as unknown, until it answers."""
        for job in self.filtered(lambda j: j.state in ("sent", "running", "paused")):
            job.state = "unknown"
            job.message_post(body=job.env._("Machine offline: %(reason)s", reason=reason))

    # ------------------------------------------------------------------ outcomes
    def _complete(self):
        """Done: the work orders finish with the machine's time and material as actuals."""
        for job in self:
            job.write({"state": "done", "finished_at": job.finished_at or fields.Datetime.now()})
            job._record_actuals()
            job.machine_id.sudo().current_job_id = False
            job.machine_id._count_job(job.duration_min / 60, failed=False)

    def _fail(self, reason):
        """Failed: the parts are scrapped and the work orders go back in the queue."""
        for job in self:
            if job.state in ("done", "failed", "cancelled"):
                continue
            made_anything = job.state != "queued"
            job.write(
                {
                    "state": "failed",
                    "failure_reason": reason,
                    "finished_at": fields.Datetime.now(),
                    "eta": False,
                }
            )
            if made_anything:
                job._scrap()
            job._requeue()
            job.message_post(body=job.env._("Failed: %(reason)s", reason=reason))
            hours = job.started_at and (job.finished_at - job.started_at).total_seconds() / 3600
            job.machine_id.sudo().current_job_id = False
            job.machine_id._count_job(hours or 0.0, failed=True)

    def _cancel(self, reason):
        """Never started: the work orders are free to go to another machine."""
        for job in self:
            job.write({"state": "cancelled", "failure_reason": reason})
            job._requeue()
            job.machine_id.sudo().current_job_id = False
            job.message_post(body=job.env._("Cancelled: %(reason)s", reason=reason))

    def _requeue(self):
        workorders = self.workorder_ids.filtered(lambda wo: wo.odm_machine_job_id == self)
        started = workorders.filtered(lambda wo: wo.state == "progress")
        started.end_all()
        started.write({"state": "ready"})
        workorders.odm_machine_job_id = False

    def _scrap(self):
        scraps = self.env["stock.scrap"]
        for workorder in self.workorder_ids.filtered(lambda wo: wo.odm_machine_job_id == self):
            production = workorder.production_id
            scraps |= self.env["stock.scrap"].create(
                {
                    "product_id": production.product_id.id,
                    "product_uom_id": production.product_uom_id.id,
                    "scrap_qty": production.product_qty,
                    "production_id": production.id,
                    "workorder_id": workorder.id,
                    "company_id": production.company_id.id,
                    "origin": self.name,
                }
            )
        scraps.do_scrap()
        self.scrap_ids = [fields.Command.link(scrap.id) for scrap in scraps]

    def _record_actuals(self):
        """Each work order gets its share of the machine time (as a time log) and of the
        material (as consumed on its raw moves), shared by expected duration."""
        workorders = self.workorder_ids.filtered(lambda wo: wo.state not in ("done", "cancel"))
        expected = sum(workorders.mapped("duration_expected")) or len(workorders)
        start = self.started_at or self.finished_at
        workorders.filtered(lambda wo: wo.state == "ready").button_start()
        workorders.button_finish()
        for workorder in workorders:
            share = (workorder.duration_expected or 1.0) / expected if expected else 1.0
            minutes = self.duration_min * share
            workorder.time_ids.filtered(lambda log, start=start: log.date_start >= start).unlink()
            self.env["mrp.workcenter.productivity"].create(
                workorder._prepare_timeline_vals(minutes, start, start + timedelta(minutes=minutes))
            )
            if self.material_used_g:
                workorder.production_id._odm_consume_material(self.material_used_g * share)
        workorders.odm_machine_job_id = False

    # ------------------------------------------------------------------ operators
    def action_start(self):
        """Manual machines: the operator started the job."""
        for job in self._manual("queued"):
            job.write({"state": "running", "started_at": fields.Datetime.now()})
            job.workorder_ids.filtered(lambda wo: wo.state == "ready").button_start()
            job.machine_id.sudo().link_state = "busy"
        return True

    def action_finish(self):
        """Manual machines: finished and taken off the machine."""
        for job in self._manual("running"):
            job._finish()
            job.machine_id.sudo().link_state = "idle"
            job._complete()
        return True

    def action_fail(self):
        """Manual machines: the job failed (from any state but done)."""
        for job in self._manual("queued", "running"):
            job.machine_id.sudo().link_state = "idle"
            job._fail(self.env._("Reported failed by %(user)s.", user=self.env.user.name))
        return True

    def action_bed_clear(self):
        """Operator: the part came off the bed and is good."""
        self.filtered(lambda job: job.state == "finished").machine_id._clear_bed(succeeded=True)
        return True

    def action_bed_clear_failed(self):
        """Operator: the bed is clear but the part is bad."""
        self.filtered(lambda job: job.state == "finished").machine_id._clear_bed(succeeded=False)
        return True

    def action_mark_done(self):
        """Operator's answer to an unknown job: the machine did make it."""
        for job in self.filtered(lambda j: j.state == "unknown"):
            job._finish()
            job._complete()
        return True

    def action_mark_failed(self):
        """Operator's answer to an unknown job: it did not come out."""
        self.filtered(lambda j: j.state == "unknown")._fail(
            self.env._("Marked failed by %(user)s.", user=self.env.user.name)
        )
        return True

    def _manual(self, *states):
        jobs = self.filtered(lambda job: job.state in states)
        if jobs.filtered(lambda job: job.machine_id.link_kind != "manual"):
            raise UserError(self.env._("Only jobs of manual machines are started by hand."))
        return jobs


def _urgency(workorders):
    """Earliest planned start first, then the earliest deadline, then the oldest."""
    far = fields.Datetime.to_datetime("9999-12-31")
    return (
        min((wo.date_start or far for wo in workorders), default=far),
        min((wo.production_id.date_deadline or far for wo in workorders), default=far),
        workorders[:1].id,
    )


@functools.cache
def _profile_nozzle_mm(printer):
    """The nozzle of a shipped printer profile, read from its file once per process rather
    than for every work order at every dispatch."""
    config = slicer.read_ini(slicer.profile_files(printer, slicer.DEFAULT_MATERIAL)[1])
    return float(config.get("nozzle_diameter", "0.4").split(",")[0])


def _mesh(part):
    return load_part(
        base64.b64decode(part.with_context(bin_size=False).file), part.file_name, unit=part.unit
    )
