from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import file_open

from .sale_order_line import UNSTARTED_STATES

# Work orders in these states have consumed machine or operator time.
STARTED_WORKORDER_STATES = ("progress", "done")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    odm_promised_date = fields.Date(
        "Promised date",
        compute="_compute_odm_promised_date",
        help="When the last quoted part can be ready, from today's production plan and stock.",
    )

    @api.depends("order_line.odm_promised_date")
    def _compute_odm_promised_date(self):
        for order in self:
            dates = order.order_line.filtered("odm_promised_date").mapped("odm_promised_date")
            order.odm_promised_date = max(dates, default=False)

    def _odm_blocking_lines(self):
        """Lines no machine of the shop can make need a review too: they cannot be signed on
        the portal nor confirmed, as lines with a blocking manufacturability finding."""
        return super()._odm_blocking_lines() | self.order_line.filtered("odm_supply_issue")

    def _action_cancel(self):
        """Cancels the orders' manufacturing orders too, or nothing when one has started."""
        productions = self.order_line._odm_productions()
        started = productions.filtered(lambda production: production.state not in UNSTARTED_STATES)
        started_workorders = productions.workorder_ids.filtered(
            lambda workorder: workorder.state in STARTED_WORKORDER_STATES
        )
        if started or started_workorders:
            raise UserError(
                self.env._(
                    "%(orders)s cannot be cancelled: production has started on %(productions)s "
                    "(work orders: %(workorders)s). Finish or cancel them in Manufacturing first.",
                    orders=", ".join(self.mapped("name")),
                    productions=", ".join(
                        (started | started_workorders.production_id).mapped("name")
                    ),
                    workorders=", ".join(started_workorders.mapped("display_name")) or "-",
                )
            )
        productions.with_context(skip_activity=True).action_cancel()
        return super()._action_cancel()

    @api.model
    def load_demo_production_order(self, partner_id, lines):
        """Demo data: a confirmed order of the addon's sample parts, so MOs can be seen.

        ``lines`` is [(file path in odm_mrp, process xmlid, material xmlid, quantity)].
        """
        order = self.create({"partner_id": partner_id})
        for path, process, material, quantity in lines:
            with file_open(f"odm_mrp/{path}", "rb") as handle:
                upload = (path.rsplit("/", 1)[-1], handle.read())
            order._odm_add_uploads(
                [upload], self.env.ref(process), quantity, material=self.env.ref(material)
            )
        order.action_confirm()
        return order
