from odoo import fields, models


class OdmPromiseChange(models.Model):
    """A change of the date promised to the customer on a confirmed order, with the reason
    given. Customers read these on their order tracking page: the reason is written for them."""

    _name = "odm.promise.change"
    _description = "Promised Date Change"
    _order = "create_date desc, id desc"

    order_id = fields.Many2one(
        "sale.order", required=True, readonly=True, ondelete="cascade", index=True
    )
    previous_date = fields.Date("Promised before", readonly=True)
    new_date = fields.Date("Promised now", readonly=True)
    reason = fields.Char(
        readonly=True,
        help="Shown to the customer on the order tracking page; empty when the delivery date "
        "was edited on the order directly.",
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
