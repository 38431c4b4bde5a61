from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..models.odm_machine_calibration import CALIBRATED, NEXT_PRINT_RANGE_HELP


class OdmMachineCalibrationWizardLine(models.TransientModel):
    """One machine's factor for one quantity: current, proposed, and the prints behind it."""

    _name = "odm.machine.calibration.wizard.line"
    _inherit = "odm.correction.evidence"
    _description = "Proposed Machine Calibration"
    _order = "machine_id, quantity"

    wizard_id = fields.Many2one("odm.machine.calibration.wizard", required=True, ondelete="cascade")
    apply = fields.Boolean(help="Tick to apply the proposed factor.")
    machine_id = fields.Many2one("odm.machine", required=True, readonly=True, ondelete="cascade")
    quantity = fields.Selection(
        [("print_time_s", "Print time"), ("material_g", "Material")], required=True, readonly=True
    )
    current_factor = fields.Float("Current", digits=(6, 3), readonly=True)
    band_pct = fields.Float(
        "Range for the next print (± %)",
        digits=(6, 1),
        readonly=True,
        help=NEXT_PRINT_RANGE_HELP,
    )
    job_ids = fields.Many2many("odm.machine.job", string="Evidence", readonly=True)

    def _apply(self):
        """Writes the factors, all or none: a factor changed since the proposal stops them all."""
        for line in self:
            current = line.machine_id[f"{CALIBRATED[line.quantity]}_factor"]
            if float_compare(current, line.current_factor, precision_digits=3):
                raise UserError(
                    self.env._(
                        "The %(quantity)s factor of %(machine)s changed since the proposal: "
                        "propose the calibration again.",
                        quantity=line._label().lower(),
                        machine=line.machine_id.display_name,
                    )
                )
        for line in self:
            line.machine_id._odm_apply_calibration(
                line.quantity,
                {
                    "factor": line.factor,
                    "prints": line.samples,
                    "error_before_pct": line.error_before_pct,
                    "error_after_pct": line.error_after_pct,
                    "band_pct": line.band_pct,
                },
            )

    def _label(self):
        return dict(self._fields["quantity"].selection)[self.quantity]

    def _sentence(self):
        """One applied factor, for the machine's chatter."""
        return self.env._(
            "%(quantity)s: %(old).3f → %(new).3f (real %(new).3f × expected over %(prints)s "
            "prints, %(low).3f to %(high).3f; median error %(before).0f %% → %(after).0f %%, "
            "next print within ±%(band).0f %% (90 %%))",
            quantity=self._label(),
            old=self.current_factor,
            new=self.factor,
            prints=self.samples,
            low=self.factor_low,
            high=self.factor_high,
            before=self.error_before_pct,
            after=self.error_after_pct,
            band=self.band_pct,
        )
