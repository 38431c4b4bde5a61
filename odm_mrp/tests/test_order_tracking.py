from datetime import timedelta

from odoo import fields
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import html2plaintext

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestOrderTracking(MakeToOrderCase, HttpCase):
    """The customer's tracking page follows a confirmed order through its work orders to the
    delivery, shows the promise and its changes, and is the customer's alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = new_test_user(
            cls.env, login="odm_track_buyer", groups="base.group_portal", email="buyer@example.com"
        )
        cls.other = new_test_user(cls.env, login="odm_track_other", groups="base.group_portal")
        cls.customer = cls.buyer.partner_id

    def _confirmed(self, quantity=3):
        order = self._fdm_order(quantity)
        order.action_confirm()
        production = self._productions(order.order_line)
        for move in production.move_raw_ids:
            self.env["stock.quant"]._update_available_quantity(
                move.product_id, production.location_src_id, move.product_uom_qty * 2
            )
        production.action_assign()
        return order, production

    def _row(self, order):
        (row,) = self.env["odm.order.tracking"]._part_rows(order)
        return row

    def _stage(self, order):
        row = self._row(order)
        return row["stage"], row["percent"], row["made"], row["shipped"]

    def _mails(self, order, subject):
        return order.message_ids.filtered(lambda message: subject in (message.subject or ""))

    def _ship(self, order):
        picking = order.picking_ids.filtered(
            lambda picking: picking.location_dest_id.usage == "customer"
        )
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def test_states_follow_the_work_orders_and_the_delivery(self):
        order, production = self._confirmed()
        prepare, make, support = production.workorder_ids.sorted(
            lambda wo: wo.operation_id.sequence
        )
        self.assertEqual(self._stage(order), ("queued", None, 0, 0))
        confirmed = self._mails(order, "Order confirmed")
        self.assertEqual(len(confirmed), 1, "one confirmation e-mail")
        self.assertIn(order._odm_tracking_url(), confirmed.body)
        self.assertIn(self.customer, confirmed.notified_partner_ids)

        prepare.button_start()
        self.assertEqual(self._stage(order)[0], "preparing")
        prepare.button_finish()
        make.button_start()
        self.assertEqual(self._stage(order), ("making", None, 0, 0))
        self.assertEqual(self._row(order)["label"], "Printing")
        make.button_finish()
        self.assertEqual(self._stage(order), ("post_processing", None, 3, 0))
        self.assertEqual(self._row(order)["made_label"], "printed")
        support.button_start()
        support.button_finish()
        production.qty_producing = production.product_qty
        production.with_context(skip_consumption=True).button_mark_done()
        self.assertEqual(production.state, "done")
        self.assertEqual(self._stage(order), ("ready", None, 3, 0))
        self.assertFalse(self._mails(order, "shipped"), "nothing shipped yet")

        self._ship(order)
        self.assertEqual(self._stage(order), ("shipped", None, 3, 3))
        shipped = self._mails(order, "Your parts have shipped")
        self.assertEqual(len(shipped), 1)
        self.assertIn(order._odm_tracking_url(), shipped.body)
        self.assertIn("3 of 3 shipped", " ".join(html2plaintext(shipped.body).split()))
        self.assertIn(self.customer, shipped.notified_partner_ids)
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        for template in ("mail_template_order_confirmed", "mail_template_order_shipped"):
            rendered = self.env.ref(f"odm_mrp.{template}")._render_lang(order.ids)
            self.assertEqual(rendered, {order.id: "fr_FR"}, "in the customer's language")

    def test_online_confirmation_sends_one_email(self):
        """Confirmed online (signature or payment), Odoo sends its confirmation e-mail: the
        order gets the one with the tracking link, not a second one."""
        order = self._fdm_order()
        order.with_context(send_email=True).action_confirm()
        mails = order.message_ids
        confirmations = mails.filtered(lambda message: order._odm_tracking_url() in message.body)
        self.assertEqual(len(confirmations), 1)
        self.assertFalse(
            mails.filtered(lambda message: "has been confirmed" in message.body),
            "Odoo's own confirmation is not sent besides",
        )

    def test_promise_changes_are_recorded_with_their_reason(self):
        order, production = self._confirmed()
        quoted = order.odm_promised_date
        self.assertEqual(order._odm_customer_promise(), quoted)
        later = quoted + timedelta(days=3)
        wizard = Form(self.env["odm.promise.change.wizard"].with_context(default_order_id=order.id))
        self.assertEqual(wizard.current_date, quoted)
        wizard.new_date = later
        wizard.reason = "The printer needed a new nozzle."
        wizard.save().action_apply()
        self.assertEqual(order._odm_customer_promise(), later)
        change = order.odm_promise_change_ids
        self.assertEqual(
            (change.previous_date, change.new_date, change.reason),
            (quoted, later, "The printer needed a new nozzle."),
        )
        self.assertEqual(production.date_deadline.date(), later, "production aims at it too")
        order.commitment_date = fields.Datetime.to_datetime(later)
        self.assertEqual(len(order.odm_promise_change_ids), 1, "the same day is no change")
        order.commitment_date = False
        latest = self.env["odm.promise.change"].search([("order_id", "=", order.id)], limit=1)
        self.assertEqual((latest.previous_date, latest.new_date), (later, quoted))
        self.assertFalse(latest.reason)

        self.authenticate("odm_track_buyer", "odm_track_buyer")
        page = self.url_open(f"/my/orders/{order.id}/tracking")
        self.assertEqual(page.status_code, 200)
        self.assertIn("The printer needed a new nozzle.", page.text)
        self.assertIn("No reason given", page.text)

    def test_page_is_the_customers_alone(self):
        order, _production = self._confirmed()
        url = f"/my/orders/{order.id}/tracking"
        self.authenticate("odm_track_buyer", "odm_track_buyer")
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn('data-stage="queued"', page.text)
        self.assertIn("0 of 3 printed", page.text)
        listing = self.url_open("/my/orders")
        self.assertIn(url, listing.text, "the order list links to the tracking page")
        self.assertIn(url, self.url_open(f"/my/orders/{order.id}").text)

        self.authenticate("odm_track_other", "odm_track_other")
        self.assertEqual(self.url_open(url).status_code, 404)
        self.assertEqual(self.url_open(f"{url}?access_token=wrong").status_code, 404)
        token_page = self.url_open(order._odm_tracking_url())
        self.assertEqual(token_page.status_code, 200, "the e-mailed link opens the page")
        self.assertIn('data-stage="queued"', token_page.text)

        self.logout()
        self.assertEqual(self.url_open(url).status_code, 404)
        self.assertEqual(self.url_open(order._odm_tracking_url()).status_code, 200)
        quotation = self._fdm_order()
        self.assertEqual(
            self.url_open(quotation.get_portal_url(suffix="/tracking")).status_code,
            404,
            "a quotation is not tracked",
        )
