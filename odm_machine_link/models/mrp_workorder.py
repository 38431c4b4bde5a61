import math

from odoo import fields, models

from odm_engine.machines import machine_dispatch

from .odm_machine import CLEARANCE_TECHNOLOGIES, DISPATCH_KINDS


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    odm_machine_job_id = fields.Many2one(
        "odm.machine.job",
        "Machine job",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The job that runs this work order on a machine now; empty while it waits.",
    )
    odm_machine_progress = fields.Float(related="odm_machine_job_id.progress", string="Progress")
    odm_machine_eta = fields.Datetime(related="odm_machine_job_id.eta", string="Machine ETA")
    odm_dispatch_blocker = fields.Char(
        "Waiting because",
        readonly=True,
        copy=False,
        help="Why the last dispatch round sent this ready work order to no machine.",
    )

    def _odm_between_runs_minutes(self, workcenter):
        """A machine step whose copies left do not fit one plate runs several times, and
        somebody clears the bed between runs (``odm.machine._odm_between_runs_minutes``)."""
        minutes = super()._odm_between_runs_minutes(workcenter)
        if self.odm_build_job_id or self.operation_id.odm_duration_mode != "machine":
            return minutes
        machine = self.env["odm.machine"].search([("workcenter_id", "=", workcenter.id)], limit=1)
        if machine.technology not in CLEARANCE_TECHNOLOGIES or self.qty_production < 2:
            return minutes
        part = self.production_id.bom_id.odm_quote_id.part_id
        return minutes + machine._odm_between_runs_minutes(part, self._odm_copies_left())

    def _odm_copies_left(self):
        """Parts of this work order still to make: its quantity less the good parts made by
        the done machine jobs it was on (its own runs and build-job plates)."""
        self.ensure_one()
        made = sum(run._good_parts_of(self) for run in self._odm_done_runs())
        return max(math.ceil(self.qty_production) - made, 0)

    def _odm_good_material_g(self):
        """Material this work order's good parts took so far: each done run's material times
        this work order's share of it and the good part of its parts on that run."""
        self.ensure_one()
        return sum(
            run.material_used_g
            * run._share_of(self)
            * run._good_parts_of(self)
            / run._parts_on_plate()[self.id]
            for run in self._odm_done_runs()
        )

    def _odm_done_runs(self):
        """Read for the plan and the counts, also by production managers who are not
        machine managers."""
        return (
            self.env["odm.machine.job"]
            .sudo()
            .search([("workorder_ids", "in", self.ids), ("state", "=", "done")])
        )

    def _odm_set_dispatch_blocker(self, reasons):
        """Stores (code, sentence) reasons as one line on the work orders (written only where
        it changed: dispatch runs every minute)."""
        line = "; ".join(sentence for _code, sentence in reasons) or False
        self.filtered(lambda wo: wo.odm_dispatch_blocker != line).odm_dispatch_blocker = line

    def _odm_dispatch_blockers(self):
        """Why this work order cannot be dispatched now, as (code, sentence) pairs; empty when a
        dispatch round would send it now (other ready work competing for the same machine
        aside: a round says that with the code ``taken``).

        Codes: ``not_ready`` (not a ready machine step), ``has_job`` (already on a machine),
        ``build_job`` (waits for the other members of its build job), ``refused`` (machines
        refused it repeatedly: it waits a while), ``no_machine`` and the per-machine codes of
        ``odm_engine.machines.machine_dispatch.Blocker`` (process, material, nozzle, volume,
        layout, maintenance, busy, offline, state, bed, stagger).
        """
        self.ensure_one()
        jobs = self.env["odm.machine.job"]
        if self.odm_machine_job_id:
            return [("has_job", self.env._("on machine job %s", self.odm_machine_job_id.name))]
        if self not in jobs._ready_workorders():
            return [("not_ready", self.env._("not a ready machine step"))]
        works, held = jobs._ready_works(self)
        if held:
            return [jobs._held_reason()]
        if not works:
            return [
                (
                    "build_job",
                    self.env._(
                        "waits for the other work orders of %s", self.odm_build_job_id.display_name
                    ),
                )
            ]
        subject, (workorders, build_job) = next(iter(works.items()))
        machines = self.env["odm.machine"].search([("link_kind", "in", DISPATCH_KINDS)])
        described = jobs._described_machines(machines)
        demand = jobs._work_of(subject, workorders, build_job, machines)
        allowed = jobs._starts_allowed()
        pairs = machine_dispatch.assign([demand], described, starts_allowed=allowed)
        reasons = machine_dispatch.blockers([demand], described, pairs, starts_allowed=allowed)
        return jobs._worded(reasons.get(subject, []), machines)
