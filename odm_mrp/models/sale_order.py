from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import file_open

from .sale_order_line import UNSTARTED_STATES

# Work orders in these states have consumed machine or operator time.
STARTED_WORKORDER_STATES = ("progress", "done")
# A promised day is stored on Odoo's delivery date at noon UTC: the same calendar day in every
# time zone from UTC-11 to UTC+11.
PROMISE_TIME = time(12)
# Manufacturing orders are due at the end of the promised day (as at confirmation).
DEADLINE_TIME = time(23, 59)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    odm_promised_date = fields.Date(
        "Promised date",
        compute="_compute_odm_promised_date",
        help="When the last quoted part can be ready, from today's production plan and stock.",
    )
    odm_promise_change_ids = fields.One2many(
        "odm.promise.change", "order_id", string="Promise changes", readonly=True
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

    # ------------------------------------------------------------------ order tracking
    def _odm_is_trackable(self):
        """A confirmed order of quoted parts has a tracking page."""
        self.ensure_one()
        return self.state == "sale" and bool(self.order_line.filtered("odm_part_id"))

    def _odm_customer_promise(self):
        """The day last promised to the customer: the order's delivery date when one was set,
        else the latest date promised for its quoted parts."""
        self.ensure_one()
        if not self.commitment_date:
            return self.odm_promised_date
        tz = self.partner_id.tz or self.company_id.partner_id.tz or "UTC"
        return fields.Datetime.context_timestamp(
            self.with_context(tz=tz), self.commitment_date
        ).date()

    def _odm_set_promise(self, day, reason):
        """Promises ``day`` instead, with ``reason`` shown to the customer."""
        self.with_context(odm_promise_reason=reason).write(
            {"commitment_date": datetime.combine(day, PROMISE_TIME)}
        )

    def write(self, vals):
        """A new delivery date on a confirmed order is recorded for the customer, and its
        open manufacturing orders are due on the new day."""
        if "commitment_date" not in vals:
            return super().write(vals)
        before = {order: order._odm_customer_promise() for order in self if order.state == "sale"}
        result = super().write(vals)
        for order, previous in before.items():
            promised = order._odm_customer_promise()
            if promised == previous:
                continue
            self.env["odm.promise.change"].sudo().create(
                {
                    "order_id": order.id,
                    "previous_date": previous,
                    "new_date": promised,
                    "reason": self.env.context.get("odm_promise_reason"),
                }
            )
            if promised:
                order.order_line._odm_productions().filtered(
                    lambda production: production.state not in ("done", "cancel")
                ).date_deadline = datetime.combine(promised, DEADLINE_TIME)
        return result

    def _odm_tracking_url(self):
        """The tracking page, with the order's access token: e-mails link to it."""
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url(suffix="/tracking")

    # ------------------------------------------------------------------ e-mails
    def action_confirm(self):
        """Orders of quoted parts confirmed in the backend get the confirmation e-mail too
        (confirmed online, Odoo already sends it: ``send_email`` is in the context)."""
        result = super().action_confirm()
        if not self.env.context.get("send_email"):
            self.filtered(lambda order: order._odm_is_trackable())._send_order_confirmation_mail()
        return result

    def _get_confirmation_template(self):
        """Orders of quoted parts are confirmed with a link to their tracking page, unless the
        shop chose its own confirmation template (Sales settings)."""
        template = super()._get_confirmation_template()
        odoo_default = self.env.ref("sale.mail_template_sale_confirmation", False)
        if self._odm_is_trackable() and template == odoo_default:
            return self.env.ref("odm_mrp.mail_template_order_confirmed")
        return template

    def _odm_send_shipped_mail(self):
        """Tells the customer that parts of the order left, with the tracking link."""
        template = self.env.ref("odm_mrp.mail_template_order_shipped")
        for order in self.filtered(lambda order: order._odm_is_trackable()):
            order._send_order_notification_mail(template)
