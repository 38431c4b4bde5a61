from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OdmMachineJobOutcomeLine(models.TransientModel):
    """One order's parts on a build job's plate and how many of them came out good."""

    _name = "odm.machine.job.outcome.line"
    _description = "Machine Job Outcome: Good Parts of One Order"

    outcome_id = fields.Many2one("odm.machine.job.outcome", required=True, ondelete="cascade")
    workorder_id = fields.Many2one("mrp.workorder", "Work order", required=True, readonly=True)
    production_id = fields.Many2one(related="workorder_id.production_id", string="Order")
    product_id = fields.Many2one(related="workorder_id.product_id", string="Part")
    on_plate = fields.Integer("Parts on the plate", readonly=True)
    good_copies = fields.Integer("Good parts", required=True)

    @api.constrains("good_copies", "on_plate")
    def _check_good_copies(self):
        for line in self:
            if not 0 <= line.good_copies <= line.on_plate:
                raise ValidationError(
                    self.env._(
                        "Between 0 and %(copies)s parts of %(order)s can be good.",
                        copies=line.on_plate,
                        order=line.production_id.name,
                    )
                )
