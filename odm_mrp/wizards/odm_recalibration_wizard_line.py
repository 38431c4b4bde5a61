from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare


class OdmRecalibrationWizardLine(models.TransientModel):
    """One quoting parameter, its current value and the value finished orders argue for."""

    _name = "odm.recalibration.wizard.line"
    _inherit = "odm.correction.evidence"
    _description = "Proposed Quoting Parameter"
    _order = "process_id, material_id, measure, id"

    wizard_id = fields.Many2one("odm.recalibration.wizard", required=True, ondelete="cascade")
    apply = fields.Boolean(help="Tick to write the proposed value when applying.")
    process_id = fields.Many2one("odm.process", required=True, readonly=True)
    material_id = fields.Many2one(
        "odm.material", readonly=True, help="Set when the parameter belongs to the material."
    )
    measure = fields.Selection(
        [("machine", "Machine time"), ("material", "Material"), ("labour", "Hands-on time")],
        required=True,
        readonly=True,
    )
    parameter = fields.Char("Key", required=True, readonly=True, help="The engine's name.")
    parameter_label = fields.Char("Parameter", readonly=True)
    current_value = fields.Float("Current", digits=(16, 4), readonly=True)
    proposed_value = fields.Float("Proposed", digits=(16, 4), readonly=True)

    def _target(self):
        """The record and field the parameter lives in."""
        self.ensure_one()
        if self.material_id:
            return self.material_id, self.parameter
        line = self.process_id.parameter_ids.filtered(lambda item: item.key == self.parameter)
        return line, "value"

    def _apply(self):
        """Writes the proposed values, all or none: every target is checked before any write."""
        targets = [(line, *line._target()) for line in self]
        for line, record, field in targets:
            if not record or float_compare(record[field], line.current_value, precision_digits=4):
                raise UserError(
                    self.env._(
                        "%(parameter)s of %(owner)s changed since the proposal: propose the "
                        "recalibration again.",
                        parameter=line.parameter_label,
                        owner=(line.material_id or line.process_id).display_name,
                    )
                )
        for line, record, field in targets:
            record[field] = line.proposed_value
