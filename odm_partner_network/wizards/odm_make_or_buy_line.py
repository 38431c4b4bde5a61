from odoo import fields, models
from odoo.exceptions import UserError


class OdmMakeOrBuyLine(models.TransientModel):
    """One candidate of a make-or-buy ranking: an option with its score, or why it is out."""

    _name = "odm.make.or.buy.line"
    _description = "Make or Buy Option"
    _order = "sequence"
    _rec_name = "candidate"

    wizard_id = fields.Many2one("odm.make.or.buy.wizard", required=True, ondelete="cascade")
    sequence = fields.Integer("Rank")
    candidate = fields.Char(required=True)
    partner_id = fields.Many2one("res.partner")
    in_house = fields.Boolean()
    excluded = fields.Boolean()
    score = fields.Float(digits=(6, 3), help="Share of the order's value the option consumes.")
    currency_id = fields.Many2one(related="wizard_id.production_id.company_id.currency_id")
    cost = fields.Monetary()
    shipping_cost = fields.Monetary()
    promised_date = fields.Date("Promised")
    late_days = fields.Integer("Days late")
    distance_km = fields.Float("Distance (km)", digits=(10, 0))
    explanation = fields.Text(required=True)

    def action_offload(self):
        self.ensure_one()
        if self.in_house or self.excluded:
            raise UserError(
                self.env._("%(candidate)s is not a partner option.", candidate=self.candidate)
            )
        return self.wizard_id._odm_offload(self.candidate)
