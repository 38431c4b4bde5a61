from odoo import api, fields, models


class OdmPromiseChangeWizard(models.TransientModel):
    """Moves the date promised on a confirmed order and tells the customer why."""

    _name = "odm.promise.change.wizard"
    _description = "Change Promised Date"

    order_id = fields.Many2one("sale.order", required=True, readonly=True, ondelete="cascade")
    current_date = fields.Date("Promised now", compute="_compute_current_date")
    new_date = fields.Date("New promised date", required=True)
    reason = fields.Char(
        required=True, help="The customer reads it on the order tracking page: write it for them."
    )

    @api.depends("order_id")
    def _compute_current_date(self):
        for wizard in self:
            wizard.current_date = wizard.order_id._odm_customer_promise()

    def action_apply(self):
        self.ensure_one()
        self.order_id._odm_set_promise(self.new_date, self.reason)
