import functools
import math
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odm_engine.machines import machine_dispatch
from odm_engine.machines.connectors.base import job_tag
from odm_engine.slicing import profile_reader

from .odm_machine import DISPATCH_KINDS

# Work cancelled this many times (machine refused, unreachable...) within HOLD_FOR waits.
HOLD_AFTER_CANCELS = 3
HOLD_FOR = timedelta(hours=1)


class OdmMachineJobDispatchMixin(models.AbstractModel):
    """Pairing ready work with free compatible machines, and saying why the rest did not go."""

    _name = "odm.machine.job.dispatch.mixin"
    _description = "Machine Job: Dispatch"

    @api.model
    def _cron_dispatch(self):
        self._dispatch_ready()

    @api.model
    def _dispatch_ready(self):
        """Pairs ready work with free machines, creates one job per pair and queues sending;
        every ready work order left waiting gets the reason on ``odm_dispatch_blocker``.

        Machines and work orders are locked with ``FOR UPDATE SKIP LOCKED``: a concurrent
        dispatcher skips what this one holds. Returns the jobs created.
        """
        machines = self._lock(
            "odm.machine",
            self.env["odm.machine"].search([("link_kind", "in", DISPATCH_KINDS)]).ids,
        )
        machines = self.env["odm.machine"].browse(machines)
        works, held = self._ready_works()
        locked = set(self._lock("mrp.workorder", [wo.id for ws in works.values() for wo in ws[0]]))
        works = {
            subject: work
            for subject, work in works.items()
            if all(wo.id in locked for wo in work[0])
        }
        for workorders, _build_job in held.values():
            workorders._odm_set_dispatch_blocker([self._held_reason()])
        if not works:
            return self.browse()
        described = self._described_machines(machines)
        ordered = sorted(works.items(), key=lambda item: _urgency(item[1][0]))
        demands = [self._work_of(subject, *work, machines) for subject, work in ordered]
        allowed = self._starts_allowed()
        pairs = machine_dispatch.assign(demands, described, starts_allowed=allowed)
        blockers = machine_dispatch.blockers(demands, described, pairs, starts_allowed=allowed)
        jobs = self.browse()
        for subject, machine_id in pairs:
            workorders, build_job = works[subject]
            workorders._odm_set_dispatch_blocker([])
            jobs |= self._create_for(subject, workorders, build_job, machines.browse(machine_id))
        for subject, reasons in blockers.items():
            works[subject][0]._odm_set_dispatch_blocker(self._worded(reasons, machines))
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
    def _ready_workorders(self):
        return self.env["mrp.workorder"].search(
            [
                ("state", "=", "ready"),
                ("production_id.state", "in", ("confirmed", "progress")),
                ("operation_id.odm_duration_mode", "=", "machine"),
                ("odm_machine_job_id", "=", False),
            ],
            order="id",
        )

    @api.model
    def _ready_works(self, workorders=None):
        """({subject: (work orders, build job)} of ready machine steps with no active job, and
        the same for work held after repeated refusals): a build job whose members are all
        ready, or a single work order."""
        ready = self._ready_workorders()
        held_subjects = self._held_subjects()
        works, held = {}, {}
        for workorder in ready if workorders is None else workorders & ready:
            build_job = workorder.odm_build_job_id
            if not build_job:
                subject, work = f"wo{workorder.id}", (workorder, build_job)
            else:
                members = build_job.workorder_ids.filtered(lambda wo: wo.state != "cancel")
                if not members <= ready:
                    continue
                subject, work = f"bj{build_job.id}", (members, build_job)
            (held if subject in held_subjects else works)[subject] = work
        return works, held

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
    def _held_reason(self):
        return (
            "refused",
            self.env._(
                "machines refused it %(count)s times within %(hours)s h: it waits",
                count=HOLD_AFTER_CANCELS,
                hours=HOLD_FOR.total_seconds() / 3600,
            ),
        )

    @api.model
    def _described_machines(self, machines):
        """The engine's view of ``machines`` as they stand now."""
        busy = set(self.search([("state", "in", self.ACTIVE)]).machine_id.ids)
        maintenance = machines._under_maintenance_ids()
        return [
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
    def _worded(self, reasons, machines):
        """(code, sentence) pairs of the engine's blockers, each naming its machine."""
        return [
            (
                blocker.code,
                f"{machines.browse(blocker.machine).name}: {blocker.text}"
                if blocker.machine
                else blocker.text,
            )
            for blocker in reasons
        ]

    @api.model
    def _quoted_nozzle(self, quote):
        """FDM: the nozzle of the printer profile the part was quoted on (its walls and
        details were judged for it); None for other processes."""
        if quote.process_id.technology != "fdm":
            return None
        machine_type = self.env["odm.machine.type"].search(
            [("code", "=", (quote.result or {}).get("machine"))], limit=1
        )
        return _profile_nozzle_mm(machine_type.slicer_printer or profile_reader.DEFAULT_PRINTER)

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
        """The job of one pair. A single work order makes, on this run, as many of its copies
        still to make as fit the machine's plate; a build job makes its plate."""
        attempt = self.search_count([("subject", "=", subject)]) + 1
        expected_min = sum(workorders.mapped("duration_expected"))
        if build_job:
            copies, layout = len(build_job.layout["placements"]), None
        else:
            remaining = workorders._odm_copies_left()
            copies, layout = self._plan_copies(workorders, machine, remaining)
            expected_min *= copies / max(math.ceil(workorders.qty_production), 1)
        job = self.create(
            {
                "name": job_tag(subject, attempt),
                "subject": subject,
                "attempt": attempt,
                "machine_id": machine.id,
                "workorder_ids": [fields.Command.set(workorders.ids)],
                "build_job_id": build_job.id,
                "company_id": workorders[:1].company_id.id or self.env.company.id,
                "expected_time_min": expected_min,
                "expected_time_factor": machine.time_factor,
                "copies": copies,
                "layout": layout,
            }
        )
        workorders.write({"odm_machine_job_id": job.id, "workcenter_id": machine.workcenter_id.id})
        return job


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
    config = profile_reader.read_ini(
        profile_reader.profile_files(printer, profile_reader.DEFAULT_MATERIAL)[1]
    )
    return float(config.get("nozzle_diameter", "0.4").split(",")[0])
