from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odm_engine.machines import job_state, jobfiles
from odm_engine.machines.connectors.base import tag_in
from odm_engine.machines.job_state import Effect, JobState

from .odm_machine import CLEARANCE_TECHNOLOGIES

JOB_STATES = [
    (JobState.QUEUED.value, "Queued"),
    (JobState.SENT.value, "Sent"),
    (JobState.RUNNING.value, "Running"),
    (JobState.PAUSED.value, "Paused"),
    (JobState.FINISHED.value, "Finished: clear the bed"),
    (JobState.UNKNOWN.value, "Unknown: check the machine"),
    (JobState.DONE.value, "Done"),
    (JobState.FAILED.value, "Failed"),
    (JobState.CANCELLED.value, "Cancelled"),
]
# The machine holds (or may hold) the job's parts: at most one such job per machine and per
# work order or build job, enforced by partial unique indexes.
ACTIVE_STATES = tuple(state.value for state in job_state.ACTIVE)
# A job sent this long ago that the machine shows no sign of is handed to an operator.
SENT_GRACE = timedelta(minutes=2)


class OdmMachineJob(models.Model):
    """One dispatch of a work order's copies (or of a build job's plate) to one machine.

    The job's ``name`` is the engine's tag (``odm-wo42-a1``): the file sent to the machine
    carries it and the machine echoes it back, which is how a reading is matched to the job
    after a timeout, a conflict or an outage instead of starting it again. Partial unique
    indexes keep at most one active job per machine and per work order or build job, so a
    second dispatcher racing the first fails in the database rather than printing twice.

    The state rules live in the engine (``odm_engine.machines.job_state``); this file stores
    the job and applies readings. The rest of the behaviour is split by concern into abstract
    mixins this model inherits, one file each, so each can be read (and named) alone:
    ``odm_machine_job_dispatch`` (pairing ready work with machines, and why work did not go),
    ``odm_machine_job_send`` (handing the file to the machine once), ``odm_machine_job_files``
    (the file: slicing, copies on the plate, NC programs) and ``odm_machine_job_outcome``
    (done, failed, cancelled, operators' answers). They hold no fields and serve this model
    only.
    """

    _name = "odm.machine.job"
    _description = "Machine Job"
    _inherit = [
        "mail.thread",
        "odm.machine.job.dispatch.mixin",
        "odm.machine.job.send.mixin",
        "odm.machine.job.files.mixin",
        "odm.machine.job.outcome.mixin",
    ]
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
    production_ids = fields.Many2many(
        "mrp.production", string="Orders", compute="_compute_production_ids"
    )
    copies = fields.Integer(
        "Parts",
        readonly=True,
        default=1,
        help="Parts this run makes: the copies of the work order's part laid out on the plate "
        "(the rest go on later runs), or every part of a build job's plate.",
    )
    good_copies = fields.Integer(
        "Good parts", readonly=True, help="Parts that came out good, as the operator counted."
    )
    good_by_workorder = fields.Json(
        "Good parts per work order",
        readonly=True,
        help="{work order id: good parts} as the operator counted them: what each work order "
        "of the plate really got from this run.",
    )
    layout = fields.Json(
        readonly=True,
        help="Where the copies of one work order's part stand on the plate (nested when the "
        "job was made); build jobs keep their own layout.",
    )
    state = fields.Selection(
        JOB_STATES, required=True, default="queued", readonly=True, tracking=True, index=True
    )
    file = fields.Binary("Job file", attachment=True, readonly=True, copy=False)
    file_name = fields.Char(readonly=True)
    expected_time_min = fields.Float("Expected (min)", readonly=True, digits=(12, 1))
    expected_material_g = fields.Float("Expected material (g)", readonly=True, digits=(12, 1))
    expected_time_factor = fields.Float(
        "Expected with print-time factor",
        readonly=True,
        default=1.0,
        digits=(6, 3),
        help="The machine's calibrated print-time factor the expected time includes (1: the "
        "slicer's or the quote's own figure): calibration divides it out to compare like with "
        "like.",
    )
    material_measured = fields.Boolean(
        "Material reported by the machine",
        readonly=True,
        help="The material used is the machine's own count, not the expected grams: only such "
        "jobs calibrate the machine's material.",
    )
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
        ("copies_positive", "CHECK(copies >= 1)", "A job makes at least one part."),
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

    @api.depends("workorder_ids.production_id")
    def _compute_production_ids(self):
        for job in self:
            job.production_ids = job.workorder_ids.production_id

    # ------------------------------------------------------------------ readings
    def _reconcile(self, status):
        """Brings this job in line with a reading of its machine, matched by tag."""
        now = fields.Datetime.now()
        for job in self:
            job.machine_echo = status.job_name or False
            step = job_state.on_reading(
                job.state,
                ours=tag_in(status.job_name) == job.name,
                machine_state=status.state,
                sent_overdue=bool(job.sent_at) and now - job.sent_at > SENT_GRACE,
                clearance=job.machine_id.technology in CLEARANCE_TECHNOLOGIES,
            )
            if step.effect == Effect.LOSE:
                job._lose(
                    job.env._(
                        "The machine shows no sign of this job (%(state)s, %(name)s): check it, "
                        "then mark the job done or failed.",
                        state=status.state.value,
                        name=status.job_name or "-",
                    )
                )
            elif step.effect == Effect.TRACK:
                job._track(step.state, status)
            elif step.effect in (Effect.FINISH, Effect.COMPLETE):
                job._finished(status)
            elif step.effect == Effect.FAIL:
                job._fail(status.message or job.env._("The machine reported a failure."))

    def _lose(self, message):
        self.state = JobState.UNKNOWN.value
        self.message_post(body=message)

    def _track(self, state, status=None):
        """Running or paused: progress and expected end from the reading; the work orders
        start with the first such reading (or the operator's start)."""
        now = fields.Datetime.now()
        values = {"state": state.value}
        if status is not None:
            values["progress"] = 100 * (status.progress or 0.0)
            values["eta"] = (
                now + timedelta(seconds=status.remaining_s) if status.remaining_s else False
            )
        if not self.started_at:
            elapsed = (status.elapsed_s if status is not None else None) or 0.0
            values["started_at"] = now - timedelta(seconds=elapsed)
            self.workorder_ids.filtered(lambda wo: wo.state == "ready").button_start()
        self.write(values)

    def _finished(self, status):
        """The machine ended the job well: printers wait for the bed to be cleared, other
        machines complete at once."""
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
                "state": JobState.FINISHED.value,
                "finished_at": now,
                "progress": 100.0,
                "eta": False,
                "started_at": started,
                "duration_min": elapsed_s / 60
                if elapsed_s
                else self.duration_min or (now - started).total_seconds() / 60,
                "material_used_g": material_g or self.material_used_g or self.expected_material_g,
                "material_measured": bool(material_g) or self.material_measured,
            }
        )

    def _lost_contact(self, reason):
        """The machine stopped answering: its job is kept, as unknown, until it answers."""
        for job in self:
            if job_state.on_silence(job.state).effect == Effect.LOSE:
                job._lose(job.env._("Machine offline: %(reason)s", reason=reason))
