import dataclasses
import logging
import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odm_engine.machines import machine_dispatch, reliability
from odm_engine.machines.connectors import SessionPool
from odm_engine.machines.connectors.base import (
    ConnectionSettings,
    ConnectorError,
    MachineStatus,
    MachineUnreachable,
)
from odm_engine.machines.polling import poll
from odm_engine.slicing import profile_reader

_logger = logging.getLogger(__name__)

LINK_KINDS = [
    ("none", "Not linked"),
    ("manual", "Manual (operator screen)"),
    ("octoprint", "OctoPrint"),
    ("moonraker", "Moonraker (Klipper)"),
    ("prusalink", "PrusaLink"),
    ("bambu", "Bambu Lab (LAN)"),
    ("opcua", "OPC UA"),
    ("mtconnect", "MTConnect (monitoring)"),
]
# Kinds whose status Odoo reads from the machine (manual machines report through operators).
POLLED_KINDS = ("octoprint", "moonraker", "prusalink", "bambu", "opcua", "mtconnect")
# Kinds dispatch sends jobs to; OPC UA (OPC 40501) and MTConnect machines are only monitored.
DISPATCH_KINDS = ("manual", "octoprint", "moonraker", "prusalink", "bambu")
# OPC UA sessions: unsecured, or the Basic256Sha256 policy (the one the connector speaks) in
# one of its two message security modes; the values are the engine's mode names.
OPCUA_SECURITY = [
    ("None", "None (unsecured)"),
    ("Sign", "Basic256Sha256, signed"),
    ("SignAndEncrypt", "Basic256Sha256, signed and encrypted"),
]
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"
LINK_STATES = [
    ("not_linked", "Not linked"),
    ("offline", "Offline"),
    ("idle", "Idle"),
    ("busy", "Busy"),
    ("paused", "Paused"),
    ("finished", "Finished"),
    ("failed", "Failed"),
]
# Machine states after which the bed may take a new job once an operator has confirmed it clear.
AFTER_JOB_STATES = ("finished", "failed")
# A part stays on the plate of these until somebody takes it off.
CLEARANCE_TECHNOLOGIES = ("fdm", "sla")
POLL_TIMEOUT_S = 5.0
# A manual dispatch reads again the linked machines not heard from for this long.
STALE_READING = timedelta(minutes=2)
POLL_WORKERS = 8
# Waiting work orders the Dispatch Now message names; the rest are counted.
MESSAGE_REASONS = 10
# Dispatch's blockers the planner honours too: lasting ones. A running print (busy, state) is
# planned work; a bed to clear is time (``_odm_busy_until``); volume and process are the
# planner's own capable-machine rule.
PLAN_BLOCKER_CODES = ("maintenance", "offline", "material", "nozzle")
# Working time of its calendar a finished print is assumed to wait for its bed to be cleared.
BED_CLEARING = timedelta(hours=1)
# Connectors of this server process, by (database, machine): session protocols stay connected.
SESSIONS = SessionPool()


def _first_link_state(kind):
    return {"none": "not_linked", "manual": "idle"}.get(kind, "offline")


def _slicer_printers(_model):
    return [(code, code) for code in profile_reader.available_printers()]


def _slicer_materials(_model):
    return [(code, code) for code in profile_reader.available_materials()]


class OdmMachine(models.Model):
    """A machine linked to Odoo: how to reach it, what it is loaded with, what it reports.

    The connection settings feed one of the engine's connectors; credentials are readable by
    machine managers only and never written to logs or chatter. Every status reading (polling,
    dispatch, operators) goes through ``_apply_status`` so the board and the jobs agree.
    """

    _inherit = "odm.machine"

    link_kind = fields.Selection(LINK_KINDS, "Connection", required=True, default="none")
    link_host = fields.Char("Host", help="Name or address the server reaches the machine at.")
    link_port = fields.Integer("Port", help="Empty: the protocol's default port.")
    link_use_tls = fields.Boolean("TLS")
    link_verify_tls = fields.Boolean(
        "Verify certificate", default=True, help="Turn off only for self-signed certificates."
    )
    link_api_key = fields.Char(
        "API key / access code",
        copy=False,
        groups="odm_machine_link.group_odm_machine_manager",
    )
    link_username = fields.Char(
        "User name", copy=False, groups="odm_machine_link.group_odm_machine_manager"
    )
    link_password = fields.Char(
        "Password", copy=False, groups="odm_machine_link.group_odm_machine_manager"
    )
    link_serial = fields.Char(
        "Device serial / namespace",
        help="Bambu: the printer's serial number. OPC UA: the namespace of the machine's nodes.",
    )
    link_timeout_s = fields.Float(
        "Timeout (s)",
        default=POLL_TIMEOUT_S,
        help="How long a request may wait for the machine's answer.",
    )
    link_opcua_security = fields.Selection(
        OPCUA_SECURITY,
        "OPC UA security",
        required=True,
        default="None",
        help="Signed or encrypted sessions need our client certificate and its private key.",
    )
    link_client_certificate = fields.Text(
        "Our client certificate (PEM)",
        copy=False,
        help="OPC UA: the certificate Odoo presents, naming its application URI; the machine "
        "must trust it.",
    )
    link_client_private_key = fields.Text(
        "Our private key (PEM)",
        copy=False,
        groups="odm_machine_link.group_odm_machine_manager",
        help="OPC UA: the private key of our client certificate.",
    )
    link_server_certificate = fields.Text(
        "Machine certificate (PEM)",
        copy=False,
        help="OPC UA: pins the machine's certificate; empty: the one its endpoints announce.",
    )
    link_ca_certificate = fields.Text(
        "Pinned CA (PEM)",
        copy=False,
        help="Bambu Lab: the only CA trusted for the printer's certificate (Bambu's printer "
        "CA), instead of the system's CAs and the Verify certificate box.",
    )
    link_state = fields.Selection(
        LINK_STATES, "Machine state", default="not_linked", readonly=True, index=True
    )
    link_message = fields.Char("Last message", readonly=True)
    link_checked_at = fields.Datetime("Last heard", readonly=True)
    bed_clear = fields.Boolean(
        default=True,
        readonly=True,
        help="An operator confirmed the last job's part was taken off: the machine may start "
        "another.",
    )
    loaded_material_id = fields.Many2one(
        "odm.material",
        "Loaded material",
        domain="[('id', 'in', material_ids)]",
        help="What the machine holds now: dispatch sends it only jobs in this material.",
    )
    nozzle_diameter_mm = fields.Float("Nozzle (mm)", digits=(4, 2), default=0.4)
    slicer_printer = fields.Selection(
        _slicer_printers, help="PrusaSlicer printer profile FDM jobs are sliced with."
    )
    slicer_material = fields.Selection(
        _slicer_materials,
        help="PrusaSlicer material profile; empty: the profile named after the loaded material.",
    )
    job_ids = fields.One2many("odm.machine.job", "machine_id", "Jobs", readonly=True)
    current_job_id = fields.Many2one(
        "odm.machine.job",
        "Current job",
        compute="_compute_current_job",
        store=True,
        help="The job the machine holds or may hold (at most one, by a unique index), derived "
        "from the jobs' states.",
    )
    job_progress = fields.Float(related="current_job_id.progress", string="Progress (%)")
    job_eta = fields.Datetime(related="current_job_id.eta", string="Expected end")
    job_product_id = fields.Many2one(related="current_job_id.product_id", string="Part")
    job_production_ids = fields.Many2many(
        related="current_job_id.production_ids", string="Manufacturing orders"
    )
    job_copies = fields.Integer(related="current_job_id.copies", string="Parts on this run")
    run_hours = fields.Float("Machine hours", readonly=True, digits=(12, 2), aggregator=None)
    job_count = fields.Integer("Jobs run", readonly=True, aggregator=None)
    failed_job_count = fields.Integer("Jobs failed", readonly=True, aggregator=None)
    maintenance_every_hours = fields.Float(
        "Maintenance every (h)", help="A preventive request is opened after this many hours."
    )
    maintenance_every_jobs = fields.Integer(
        "Maintenance every (jobs)", help="A preventive request is opened after this many jobs."
    )
    maintenance_hours_mark = fields.Float(readonly=True, aggregator=None)
    maintenance_jobs_mark = fields.Integer(readonly=True, aggregator=None)
    equipment_id = fields.Many2one(
        "maintenance.equipment",
        ondelete="set null",
        help="The maintenance equipment of this machine; made when the first request is opened.",
    )
    under_maintenance = fields.Boolean(
        compute="_compute_under_maintenance",
        help="An open maintenance request is in progress: dispatch skips the machine.",
    )
    failure_flag = fields.Boolean(
        "Failing more than usual",
        readonly=True,
        help="Its recent jobs fail more often than its own history says they should.",
    )
    recent_failure_rate = fields.Float("Recent failure rate (%)", readonly=True, aggregator=None)
    usual_failure_rate = fields.Float("Usual failure rate (%)", readonly=True, aggregator=None)

    @api.constrains("link_kind", "link_host", "link_port", "link_timeout_s", "nozzle_diameter_mm")
    def _check_link(self):
        for machine in self:
            if machine.link_kind in POLLED_KINDS and not machine.link_host:
                raise ValidationError(
                    self.env._("Machine %(name)s needs a host to connect to.", name=machine.name)
                )
            if machine.link_timeout_s < 0:
                raise ValidationError(
                    self.env._(
                        "Machine %(name)s: the timeout cannot be negative.", name=machine.name
                    )
                )
            if not 0 <= machine.link_port <= 65535:
                raise ValidationError(
                    self.env._("Machine %(name)s: the port must be 1-65535.", name=machine.name)
                )
            if machine.nozzle_diameter_mm < 0:
                raise ValidationError(
                    self.env._(
                        "Machine %(name)s: the nozzle cannot be negative.", name=machine.name
                    )
                )

    @api.constrains(
        "link_kind",
        "link_opcua_security",
        "link_client_certificate",
        "link_client_private_key",
        "link_server_certificate",
        "link_ca_certificate",
    )
    def _check_link_security(self):
        """Told when saved rather than at the next reading: a secured OPC UA session without
        our certificate and key, or a certificate field that holds no PEM certificate."""
        for machine in self.sudo():  # the private key is readable by machine managers only
            if machine.link_kind == "opcua" and machine.link_opcua_security != "None":
                if not (machine.link_client_certificate and machine.link_client_private_key):
                    raise ValidationError(
                        self.env._(
                            "Machine %(name)s: a signed OPC UA session needs our client "
                            "certificate and its private key.",
                            name=machine.name,
                        )
                    )
                if "PRIVATE KEY-----" not in machine.link_client_private_key:
                    raise ValidationError(
                        self.env._(
                            "Machine %(name)s: the private key is not a PEM private key.",
                            name=machine.name,
                        )
                    )
            for field in (
                "link_client_certificate",
                "link_server_certificate",
                "link_ca_certificate",
            ):
                if machine[field] and PEM_CERTIFICATE not in machine[field]:
                    raise ValidationError(
                        self.env._(
                            "Machine %(name)s: %(field)s is not a PEM certificate (%(marker)s).",
                            name=machine.name,
                            field=machine._fields[field]._description_string(self.env),
                            marker=PEM_CERTIFICATE,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("link_state", _first_link_state(vals.get("link_kind", "none")))
        return super().create(vals_list)

    def write(self, vals):
        """A new connection starts unheard (offline) until the first reading; manual machines
        are idle at once."""
        if "link_kind" in vals and "link_state" not in vals:
            vals = dict(vals, link_state=_first_link_state(vals["link_kind"]))
        return super().write(vals)

    @api.depends("job_ids.state")
    def _compute_current_job(self):
        jobs = self.env["odm.machine.job"].search(
            [("machine_id", "in", self.ids), ("state", "in", self.env["odm.machine.job"].ACTIVE)]
        )
        current = {job.machine_id: job for job in jobs}
        for machine in self:
            machine.current_job_id = current.get(machine, False)

    def _compute_under_maintenance(self):
        blocked = self._under_maintenance_ids()
        for machine in self:
            machine.under_maintenance = machine.id in blocked

    def _under_maintenance_ids(self):
        """Machines whose equipment has an open request in progress (past its first stage)."""
        requests = (
            self.env["maintenance.request"]
            .sudo()
            .search(
                [
                    ("equipment_id", "in", self.equipment_id.ids),
                    ("stage_id.done", "=", False),
                    ("archive", "=", False),
                ]
            )
        )
        first_stage = self.env["maintenance.stage"].sudo().search([], limit=1, order="sequence, id")
        started = requests.filtered(lambda request: request.stage_id != first_stage)
        return set(self.filtered(lambda m: m.equipment_id in started.equipment_id).ids)

    # ------------------------------------------------------------------ planning
    def _odm_plan_blocker(self, material=None, quote=None):
        """Adds what dispatch would refuse the machine for, by dispatch's own rule
        (``machine_dispatch.unready`` and ``incompatibility``): offline, under maintenance,
        another material loaded, another nozzle than the one ``quote``'s part was quoted for.
        Only machines dispatch sends jobs to; the others keep odm_mrp's answer."""
        reason = super()._odm_plan_blocker(material, quote)
        if reason or self.link_kind not in DISPATCH_KINDS:
            return reason
        # The machine's jobs are read for the verdict only: a production manager who plans
        # need not be a machine manager.
        jobs = self.env["odm.machine.job"].sudo()
        seen = jobs._described_machines(self)[0]
        # A job it holds is time, not a blocker; left out, it cannot hide "offline".
        found = [machine_dispatch.unready(dataclasses.replace(seen, busy_with_job=False))]
        nozzle = jobs._quoted_nozzle(quote) if quote else None
        if material:
            work = machine_dispatch.Work(
                key=None,
                process=seen.process,
                material=material.id,
                size_mm=(0.0, 0.0, 0.0),  # the part's size is the planner's capable-machine rule
                nozzle_mm=nozzle,
            )
            found.append(machine_dispatch.incompatibility(work, seen))
        blocker = next((b for b in found if b and b.code in PLAN_BLOCKER_CODES), None)
        if not blocker:
            return ""
        if blocker.code == "maintenance":
            return self.env._("%(machine)s is under maintenance", machine=self.name)
        if blocker.code == "offline":
            return self.env._("%(machine)s is offline", machine=self.name)
        if blocker.code == "nozzle":
            fitted, needed = (format(size, "g") for size in (seen.nozzle_mm, nozzle))
            return self.env._(
                "%(machine)s has a %(fitted)s mm nozzle; the part was quoted for %(needed)s mm",
                machine=self.name,
                fitted=fitted,
                needed=needed,
            )
        return self.env._(
            "%(machine)s is loaded with %(loaded)s, not %(material)s",
            machine=self.name,
            loaded=self.loaded_material_id.name or self.env._("nothing"),
            material=material.name,
        )

    def _odm_between_runs_minutes(self, part, copies):
        """Copies that do not fit one plate run several times, and somebody clears the bed
        between runs (``BED_CLEARING``): the copies per run as dispatch will lay them out
        (``odm.machine.job._plan_copies_of_part``)."""
        minutes = super()._odm_between_runs_minutes(part, copies)
        if self.technology not in CLEARANCE_TECHNOLOGIES or copies < 2:
            return minutes
        per_run, _layout = self.env["odm.machine.job"]._plan_copies_of_part(part, self, copies)
        runs = math.ceil(copies / max(per_run, 1))
        return minutes + (runs - 1) * BED_CLEARING.total_seconds() / 60

    def _odm_busy_until(self):
        """A finished print whose bed waits to be cleared holds the machine for
        ``BED_CLEARING`` of its work center's working time from now: somebody has to come and
        take the part off, within the shift (an hour from now) or, at night, early in the next
        one (an hour into it). Without a calendar: an hour from now."""
        until = super()._odm_busy_until()
        if self.link_state not in AFTER_JOB_STATES or self.bed_clear:
            return until
        now = fields.Datetime.now()
        calendar = self.workcenter_id.resource_calendar_id
        cleared = (
            calendar
            and calendar.plan_hours(
                BED_CLEARING.total_seconds() / 3600,
                now,
                compute_leaves=True,
                resource=self.workcenter_id.resource_id,
            )
        ) or now + BED_CLEARING
        return max(until, cleared) if until else cleared

    # ------------------------------------------------------------------ connection
    def _connection_settings(self):
        """The engine's settings, secrets read with sudo (only the server holds them)."""
        self.ensure_one()
        machine = self.sudo()
        return ConnectionSettings(
            kind=machine.link_kind,
            host=machine.link_host or "",
            port=machine.link_port or None,
            use_tls=machine.link_use_tls,
            api_key=machine.link_api_key or None,
            username=machine.link_username or None,
            password=machine.link_password or None,
            serial=machine.link_serial or None,
            verify_tls=machine.link_verify_tls,
            timeout_s=machine.link_timeout_s or POLL_TIMEOUT_S,
            ca_certificate=machine.link_ca_certificate or None,
            security_mode=machine.link_opcua_security,
            client_certificate=machine.link_client_certificate or None,
            client_private_key=machine.link_client_private_key or None,
            server_certificate=machine.link_server_certificate or None,
        )

    def _connector(self):
        """This machine's connector from the process's pool; hand it back with
        ``_give_back_connector`` (protocols with a session stay connected between uses)."""
        self.ensure_one()
        if self.link_kind not in POLLED_KINDS:
            raise UserError(
                self.env._("Machine %(name)s has no connection to send jobs to.", name=self.name)
            )
        return SESSIONS.take(self._session_key(), self._connection_settings())

    def _give_back_connector(self, connector, reached=True):
        SESSIONS.give_back(self._session_key(), connector, reached)

    def _session_key(self):
        return (self.env.cr.dbname, self.id)

    def action_poll_now(self):
        """The form's button: read these machines' status now."""
        self._poll()
        return True

    @api.model
    def _cron_poll(self):
        self.search([("link_kind", "in", POLLED_KINDS)])._poll()

    def _poll(self):
        """Reads every polled machine in parallel and applies what each answered."""
        linked = self.filtered(lambda machine: machine.link_kind in POLLED_KINDS)
        connectors = {machine.id: machine._connector() for machine in linked}
        results = {}
        try:
            deadline = max(linked.mapped("link_timeout_s"), default=0) or POLL_TIMEOUT_S
            results = poll(connectors, timeout_s=deadline, max_workers=POLL_WORKERS)
        finally:
            for machine in linked:
                machine._give_back_connector(
                    connectors[machine.id],
                    not isinstance(results.get(machine.id), MachineUnreachable),
                )
        for machine in linked:
            try:
                with self.env.cr.savepoint():
                    machine._apply_status(results[machine.id])
            except (UserError, ValidationError) as error:
                # One work order that cannot move must not stop the other machines' readings.
                _logger.warning("Reading of machine %s not applied: %s", machine.id, error)

    def _apply_status(self, reading):
        """Records one reading (a MachineStatus or the ConnectorError polling got) and brings
        the machine's active job in line with it."""
        self.ensure_one()
        job = self.current_job_id
        now = fields.Datetime.now()
        if isinstance(reading, ConnectorError):
            self.write({"link_state": "offline", "link_message": str(reading)})
            job._lost_contact(str(reading))
            return
        if not isinstance(reading, MachineStatus):
            raise TypeError(f"not a machine reading: {reading!r}")
        state = reading.state.value
        values = {
            "link_state": state,
            "link_message": reading.message or False,
            "link_checked_at": now,
        }
        if (
            state in AFTER_JOB_STATES
            and self.link_state in ("busy", "paused")
            and self.technology in CLEARANCE_TECHNOLOGIES
        ):
            values["bed_clear"] = False
        self.write(values)
        job._reconcile(reading)

    def _ready_state(self):
        """The state dispatch sees: after a job, a machine whose bed was confirmed clear is
        idle."""
        self.ensure_one()
        if self.link_state in AFTER_JOB_STATES and self.bed_clear:
            return "idle"
        return self.link_state

    @api.model
    def action_dispatch_now(self):
        """The board's button: dispatch ready work now instead of at the next minute."""
        self._read_stale_machines()
        jobs = self.env["odm.machine.job"]._dispatch_ready()
        waiting = self.env["odm.machine.job"]._ready_workorders().filtered("odm_dispatch_blocker")
        message = self.env._("%(count)s job(s) dispatched.", count=len(jobs))
        if waiting:
            message += " " + self.env._(
                "Not sent: %(reasons)s",
                reasons=" | ".join(
                    f"{wo.production_id.name} ({wo.product_id.display_name}): "
                    f"{wo.odm_dispatch_blocker}"
                    for wo in waiting[:MESSAGE_REASONS]
                ),
            )
            if len(waiting) > MESSAGE_REASONS:
                message += " " + self.env._(
                    "... and %(count)s more (Shop Floor > Waiting for a Machine).",
                    count=len(waiting) - MESSAGE_REASONS,
                )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "sticky": bool(waiting),
                "type": "success" if jobs else "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _read_stale_machines(self):
        """Reads the linked machines not heard from within ``STALE_READING`` (a new one never
        was): a dispatch asked for now decides on what the machines say now, not on a reading
        the polling cron has not made yet."""
        cutoff = fields.Datetime.now() - STALE_READING
        self.search(
            [
                ("link_kind", "in", POLLED_KINDS),
                "|",
                ("link_checked_at", "=", False),
                ("link_checked_at", "<", cutoff),
            ]
        )._poll()

    # ------------------------------------------------------------------ operators
    def action_confirm_bed_clear(self):
        """Operator: the part is off the bed and it printed well."""
        return self._clear_bed(succeeded=True)

    def action_confirm_bed_clear_failed(self):
        """Operator: the bed is clear, but the print was bad (scrapped, made again)."""
        return self._clear_bed(succeeded=False)

    def action_confirm_bed_clear_partial(self):
        """Operator: the bed is clear, some parts are good (a dialog asks how many)."""
        self.ensure_one()
        return self.current_job_id.action_bed_clear_partial()

    def _clear_bed(self, succeeded, good_copies=None):
        """The bed is clear: the finished job is done with ``good_copies`` good parts (all of
        them when None), or failed when nothing good came off."""
        for machine in self:
            job = machine.current_job_id
            if job.state == "finished":
                if succeeded:
                    job._complete(good_copies)
                else:
                    job._fail(self.env._("The operator found the print bad."))
            machine.sudo().bed_clear = True
        return True

    # ------------------------------------------------------------------ counters
    def _count_job(self, hours, failed):
        """Adds one finished or failed job to the counters, then checks maintenance and
        reliability."""
        self.ensure_one()
        self.sudo().write(
            {
                "run_hours": self.run_hours + hours,
                "job_count": self.job_count + 1,
                "failed_job_count": self.failed_job_count + int(failed),
            }
        )
        self._check_maintenance_due()
        self._check_failure_trend()

    def _check_maintenance_due(self):
        """Opens one preventive request when the hours or jobs since the last one reach a
        threshold."""
        for machine in self.sudo():
            hours = machine.run_hours - machine.maintenance_hours_mark
            jobs = machine.job_count - machine.maintenance_jobs_mark
            due_hours = machine.maintenance_every_hours and hours >= machine.maintenance_every_hours
            due_jobs = machine.maintenance_every_jobs and jobs >= machine.maintenance_every_jobs
            if not (due_hours or due_jobs):
                continue
            if not machine.equipment_id:
                machine.equipment_id = machine.env["maintenance.equipment"].create(
                    {"name": machine.name, "serial_no": machine.serial_number}
                )
            machine.env["maintenance.request"].create(
                {
                    "name": self.env._(
                        "%(machine)s: service after %(hours).0f h / %(jobs)s jobs",
                        machine=machine.name,
                        hours=hours,
                        jobs=jobs,
                    ),
                    "equipment_id": machine.equipment_id.id,
                    "maintenance_type": "preventive",
                    "schedule_date": fields.Datetime.now(),
                }
            )
            machine.write(
                {
                    "maintenance_hours_mark": machine.run_hours,
                    "maintenance_jobs_mark": machine.job_count,
                }
            )

    def _check_failure_trend(self):
        """Flags the machine when its recent jobs fail beyond its own history."""
        for machine in self.sudo():
            outcomes = machine.env["odm.machine.job"].search(
                [("machine_id", "=", machine.id), ("state", "in", ("done", "failed"))],
                order="finished_at, id",
            )
            trend = reliability.failure_trend([job.state == "failed" for job in outcomes])
            machine.write(
                {
                    "failure_flag": trend.flagged,
                    "recent_failure_rate": 100 * (trend.recent_rate or 0.0),
                    "usual_failure_rate": 100 * (trend.history_rate or 0.0),
                }
            )
