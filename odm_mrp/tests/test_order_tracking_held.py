from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import html2plaintext

from .common import MakeToOrderCase


@tagged("post_install", "-at_install")
class TestOrderTrackingHeld(MakeToOrderCase, HttpCase):
    """When the plan finds no machine for a confirmed order (its printer went offline), the
    customer's tracking page says the promised date is under review instead of showing it as
    if nothing happened, and names no machine."""

    def test_order_nobody_can_plan_says_its_date_is_under_review(self):
        buyer = new_test_user(self.env, login="odm_held_buyer", groups="base.group_portal")
        self.customer = buyer.partner_id
        order = self._fdm_order(quantity=3)
        order.action_confirm()
        url = f"/my/orders/{order.id}/tracking"
        self.authenticate("odm_held_buyer", "odm_held_buyer")
        page = html2plaintext(self.url_open(url).text)
        self.assertNotIn("waiting for a machine", page)

        printers = self.env["odm.machine"].search([("process_id", "=", self.fdm.id)])
        printers.active = False  # every FDM printer is out of service
        self.env["odm.production.planner"].replan()
        production = self._productions(order.order_line)
        self.assertTrue(production.odm_plan_issue)
        (row,) = self.env["odm.order.tracking"]._part_rows(order)
        self.assertTrue(row["held"])
        page = html2plaintext(self.url_open(url).text)
        self.assertIn("waiting for a machine to become available", page)
        self.assertIn("reviewing the promised date", page)
        for name in printers.mapped("name"):
            self.assertNotIn(name, page)
