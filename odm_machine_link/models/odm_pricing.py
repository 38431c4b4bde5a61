from odoo import api, models

from odm_engine.pricing.print_calibration import combine


class OdmPricing(models.AbstractModel):
    _inherit = "odm.pricing"

    @api.model
    def _odm_print_calibration(self, process, machine_type_code, company):
        """The factors applied on ``company``'s machines quoted as the machine type, pooled by
        their prints (``print_calibration.combine``): only what a manager applied, so a quote
        changes when a calibration is applied, never silently as jobs finish."""
        machines = (
            self.env["odm.machine"]
            .sudo()
            .search(
                [
                    ("process_id", "=", process.id),
                    ("machine_type_id.code", "=", machine_type_code),
                    ("company_id", "=", company.id),
                ]
            )
        )
        applied = {}
        for machine in machines:
            for quantity, calibration in machine._odm_applied_calibrations().items():
                applied.setdefault(quantity, []).append(calibration)
        if not applied:
            return {}
        pooled = {quantity: combine(quantity, items) for quantity, items in applied.items()}
        return {
            "prints": max(calibration.samples for calibration in pooled.values()),
            "calibrations": {quantity: item.to_dict() for quantity, item in pooled.items()},
        }
