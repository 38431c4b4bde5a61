import math

from odoo import api, fields, models
from odoo.exceptions import UserError

from odm_engine.pricing.print_calibration import FinishedJob
from odm_engine.slicing.calibration import Calibration
from odm_engine.slicing.precise import BAND_COVERAGE

# Quantities a machine is calibrated on, and the prefix of the machine fields holding each.
CALIBRATED = {"print_time_s": "time", "material_g": "material"}
# Jobs that ended: done ones are evidence, failed and cancelled ones are counted out.
ENDED_STATES = ("done", "failed", "cancelled")
# What the evidence figures mean, for a machine manager (the engine's mdape and band).
MEDIAN_ERROR_BEFORE_HELP = (
    "How far the real figures were from the expected ones, as a median: half of the prints "
    "were off by less than this."
)
MEDIAN_ERROR_AFTER_HELP = (
    "The same median had the expected figures been multiplied by the factor: half of the "
    "prints it was fitted on would have been off by less than this. A new print can stray "
    "further: see the range for the next print."
)
NEXT_PRINT_RANGE_HELP = (
    "9 prints in 10, corrected, should land within this of their expected figure (a 90 % "
    "prediction interval). It is wider than the median error after correction: it covers the "
    "worst print in ten rather than the typical one, and with few prints it allows for what "
    "they cannot show yet (Student's t). It narrows as consistent prints add up."
)


class OdmMachineCalibration(models.Model):
    """A machine's print time and material corrected from its own finished jobs.

    A factor changes only when a manager applies it from the proposal wizard
    (``odm.machine.calibration.wizard``), which keeps its evidence here: the prints it was
    fitted on, the median error before and after, the range for the next print and who
    applied it when. The print-time factor acts on the plan through the work center's time
    efficiency; both factors act on the quotes of the machine's type
    (``odm.pricing._odm_print_calibration``).
    """

    _name = "odm.machine"
    _inherit = ["odm.machine", "mail.thread"]

    machine_type_id = fields.Many2one(
        "odm.machine.type",
        "Quoted as",
        compute="_compute_machine_type_id",
        store=True,
        readonly=False,
        domain="[('process_id', '=', process_id)]",
        help="The machine type quotes are priced on for this machine: its calibration from "
        "prints corrects that type's quotes. Proposed from the process's machine types: the "
        "one slicing with the same printer profile, else the only one.",
    )
    time_factor = fields.Float(
        "Print time factor",
        default=1.0,
        readonly=True,
        digits=(6, 3),
        help="Real print time / expected, from this machine's prints (1: not calibrated).",
    )
    time_prints = fields.Integer("Print time: prints", readonly=True)
    time_error_before_pct = fields.Float(
        "Print time: median error before (%)",
        readonly=True,
        digits=(6, 1),
        help=MEDIAN_ERROR_BEFORE_HELP,
    )
    time_error_after_pct = fields.Float(
        "Print time: median error after (%)",
        readonly=True,
        digits=(6, 1),
        help=MEDIAN_ERROR_AFTER_HELP,
    )
    time_band_pct = fields.Float(
        "Print time: range for the next print (± %)",
        readonly=True,
        digits=(6, 1),
        help=NEXT_PRINT_RANGE_HELP,
    )
    time_calibrated_on = fields.Datetime("Print time: applied on", readonly=True)
    time_calibrated_by_id = fields.Many2one("res.users", "Print time: applied by", readonly=True)
    material_factor = fields.Float(
        "Material factor",
        default=1.0,
        readonly=True,
        digits=(6, 3),
        help="Real material / expected, from this machine's prints (1: not calibrated).",
    )
    material_prints = fields.Integer("Material: prints", readonly=True)
    material_error_before_pct = fields.Float(
        "Material: median error before (%)",
        readonly=True,
        digits=(6, 1),
        help=MEDIAN_ERROR_BEFORE_HELP,
    )
    material_error_after_pct = fields.Float(
        "Material: median error after (%)",
        readonly=True,
        digits=(6, 1),
        help=MEDIAN_ERROR_AFTER_HELP,
    )
    material_band_pct = fields.Float(
        "Material: range for the next print (± %)",
        readonly=True,
        digits=(6, 1),
        help=NEXT_PRINT_RANGE_HELP,
    )
    material_calibrated_on = fields.Datetime("Material: applied on", readonly=True)
    material_calibrated_by_id = fields.Many2one("res.users", "Material: applied by", readonly=True)

    @api.depends("process_id", "slicer_printer")
    def _compute_machine_type_id(self):
        for machine in self:
            if machine.machine_type_id.process_id == machine.process_id:
                continue
            types = self.env["odm.machine.type"].search(
                [
                    ("process_id", "=", machine.process_id.id),
                    ("company_id", "in", (machine.company_id.id, False)),
                ]
            )
            same_profile = types.filtered(
                lambda kind, machine=machine: (
                    machine.slicer_printer and kind.slicer_printer == machine.slicer_printer
                )
            )
            machine.machine_type_id = same_profile[:1] or (types if len(types) == 1 else False)

    def action_odm_propose_calibration(self):
        """Proposes each machine's factors from its finished jobs; nothing changes until a
        manager ticks and applies them."""
        if not self:
            raise UserError(self.env._("Select the machines to calibrate."))
        wizard = self.env["odm.machine.calibration.wizard"].create(
            {"machine_ids": [fields.Command.set(self.ids)]}
        )
        wizard._propose()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Calibration from prints"),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _odm_finished_jobs(self):
        """This machine's ended jobs as the engine fits them: expected figures without the
        factor they were planned with, real ones only where the machine measured them."""
        self.ensure_one()
        jobs = self.env["odm.machine.job"].search(
            [
                ("machine_id", "=", self.id),
                ("company_id", "=", self.company_id.id),
                ("state", "in", ENDED_STATES),
            ],
            order="id",
        )
        return jobs, [
            FinishedJob(
                key=job.id,
                succeeded=job.state == "done",
                expected={
                    "print_time_s": 60 * job.expected_time_min / (job.expected_time_factor or 1.0),
                    "material_g": job.expected_material_g,
                },
                real={
                    "print_time_s": 60 * job.duration_min,
                    "material_g": job.material_used_g if job.material_measured else None,
                },
            )
            for job in jobs
        ]

    def _odm_applied_calibrations(self):
        """{quantity: Calibration} of the factors applied on this machine."""
        self.ensure_one()
        applied = {}
        for quantity, prefix in CALIBRATED.items():
            prints = self[f"{prefix}_prints"]
            if not prints:
                continue
            band = self[f"{prefix}_band_pct"] / 100
            applied[quantity] = Calibration(
                quantity=quantity,
                factor=self[f"{prefix}_factor"],
                mdape=self[f"{prefix}_error_after_pct"] / 100,
                log_sigma=0.0,
                band=math.log1p(band),
                coverage=BAND_COVERAGE,
                samples=prints,
            )
        return applied

    def _odm_apply_calibration(self, quantity, correction):
        """Writes one quantity's factor and evidence (a wizard line); the print-time factor
        rescales the work center's time efficiency, so the plan and promises use it."""
        self.ensure_one()
        prefix = CALIBRATED[quantity]
        values = {
            f"{prefix}_factor": correction["factor"],
            f"{prefix}_prints": correction["prints"],
            f"{prefix}_error_before_pct": correction["error_before_pct"],
            f"{prefix}_error_after_pct": correction["error_after_pct"],
            f"{prefix}_band_pct": correction["band_pct"],
            f"{prefix}_calibrated_on": fields.Datetime.now(),
            f"{prefix}_calibrated_by_id": self.env.user.id,
        }
        if quantity == "print_time_s":
            ratio = correction["factor"] / self.time_factor
            values["time_efficiency"] = self.time_efficiency / ratio
            self._odm_rescale_open_work(ratio)
        self.write(values)

    def _odm_rescale_open_work(self, ratio):
        """Work orders waiting for this machine take ``ratio`` times their working time (their
        setup stays): the plan and promises book them so from the next planning run."""
        workorders = self.env["mrp.workorder"].search(
            [
                ("workcenter_id", "=", self.workcenter_id.id),
                ("state", "in", ("pending", "waiting", "ready")),
            ]
        )
        for workorder in workorders:
            setup = self.workcenter_id._get_expected_duration(workorder.product_id)
            working = max(workorder.duration_expected - setup, 0.0)
            workorder.with_context(bypass_duration_calculation=True).duration_expected = (
                setup + working * ratio
            )
