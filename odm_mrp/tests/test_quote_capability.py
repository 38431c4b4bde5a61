import json
import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.misc import format_date

from odoo.addons.odm_quote.tests.common import box_stl

from .common import MakeToOrderCase


class QuoteCapabilityCase(MakeToOrderCase):
    """The shop owns one small SLA printer (a Form 3+) and no MJF machine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sla = cls.env.ref("odm_quote.process_sla")
        cls.mjf = cls.env.ref("odm_quote.process_mjf")
        cls.resin = cls.sla.default_material_id
        cls.resin.product_id = cls._raw_material("Test resin", 120)
        cls.env["odm.machine"].search(
            [("process_id", "in", (cls.sla | cls.mjf).ids)]
        ).active = False
        cls.form3 = cls._machine("Test Form 3+", cls.sla, cls.resin, (145, 145, 185))
        cls.env["odm.routing.template"].search([("technology", "=", "sla")]).active = False
        if "odm_is_manufacturer" in cls.env["res.partner"]._fields:
            # Installed with odm_partner_network: the demo's partners would supply these parts.
            cls.env["res.partner"].search([("odm_is_manufacturer", "=", True)]).write(
                {"odm_is_manufacturer": False}
            )
        cls._routing("sla", [("Print", "machine", False, "machine", 0)])


@tagged("post_install", "-at_install")
class TestQuoteCapability(QuoteCapabilityCase):
    def test_part_no_machine_holds_needs_review_and_cannot_be_signed(self):
        order = self._order((box_stl(304, 304, 10), self.sla, self.resin, 2))
        line = order.order_line
        self.assertIn("Test Form 3+", line.odm_supply_issue)
        self.assertIn("145 × 145 × 185 mm", line.odm_supply_issue)
        self.assertTrue(order.odm_blocked)
        self.assertEqual(order._odm_blocking_lines(), line)
        self.assertFalse(order._has_to_be_signed(), "the customer cannot accept it online")
        self.assertFalse(line.odm_promised_date, "no date is promised for what nobody makes")
        self.assertIn("Needs review", line.name)
        productions = self.env["mrp.production"].search_count([])
        with self.assertRaisesRegex(UserError, "cannot be confirmed"):
            order.action_confirm()
        self.assertEqual(self.env["mrp.production"].search_count([]), productions)

    def test_part_an_owned_machine_holds_is_promised_from_the_plan(self):
        order = self._order((box_stl(100, 80, 30), self.sla, self.resin, 2))
        line = order.order_line
        self.assertFalse(line.odm_supply_issue)
        self.assertFalse(order.odm_blocked)
        self.assertTrue(order._has_to_be_signed())
        self.assertGreaterEqual(line.odm_promised_date, fields.Date.context_today(line))
        self.assertIn(
            "Ready by",
            line.name,
            "the description (portal, PDF) carries the promised date",
        )
        order.action_confirm()
        self.assertEqual(
            self._productions(line).workorder_ids.workcenter_id, self.form3.workcenter_id
        )

    def test_pdf_shows_the_promised_date_or_the_review(self):
        order = self._order(
            (box_stl(100, 80, 30), self.sla, self.resin, 2),
            (box_stl(304, 304, 10), self.sla, self.resin, 1),
        )
        made, review = order.order_line
        html = self._render_pdf(order)
        date = re.escape(format_date(self.env, made.odm_promised_date))
        # The comma follows the working days with no space before it.
        self.assertRegex(html, rf"working days, ready by\s*<span[^>]*>{date}</span>")
        self.assertIn("working days, date to be confirmed by our team", html)
        self.assertFalse(review.odm_promised_date)

    def _render_pdf(self, order):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "sale.action_report_saleorder", order.ids
        )
        return html.decode()

    def test_archived_machine_does_not_quote(self):
        self.form3.active = False
        order = self._order((box_stl(100, 80, 30), self.sla, self.resin, 1))
        self.assertEqual(
            order.order_line.odm_supply_issue, f"The shop has no {self.sla.name} machine."
        )
        self.assertTrue(order.odm_blocked)

    def test_machine_not_running_the_material_does_not_quote(self):
        self.form3.material_ids = self.env.ref("odm_quote.material_resin_tgh")
        if self.resin == self.env.ref("odm_quote.material_resin_tgh"):
            self.form3.material_ids = self.env.ref("odm_quote.material_resin_std")
        order = self._order((box_stl(100, 80, 30), self.sla, self.resin, 1))
        self.assertIn(f"runs {self.resin.name}", order.order_line.odm_supply_issue)

    def test_a_process_without_machine_is_not_offered(self):
        offered = self.env["odm.process"]._odm_offered()
        self.assertIn(self.sla, offered)
        self.assertIn(self.fdm, offered)
        self.assertNotIn(self.mjf, offered, "no MJF machine in the shop")
        self._machine("Test MJF 5200", self.mjf, self.mjf.default_material_id, (380, 284, 380))
        self.assertIn(self.mjf, self.env["odm.process"]._odm_offered())


@tagged("post_install", "-at_install")
class TestQuoteCapabilityPortal(QuoteCapabilityCase, HttpCase):
    def test_portal_refuses_to_sign_a_part_no_machine_makes(self):
        order = self._order((box_stl(304, 304, 10), self.sla, self.resin, 1))
        order.require_signature = True
        order.action_quotation_sent()
        response = self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {"access_token": order._portal_ensure_token(), "name": "Customer", "signature": "R0lG"},
        )
        self.assertIn("requiring customer signature", response["error"])
        self.assertEqual(order.state, "sent")
        self.assertFalse(order.signature)

    def test_portal_cart_shows_the_promised_date(self):
        customer = new_test_user(self.env, login="odm_ctp_portal", groups="base.group_portal")
        cart = self.env["sale.order"].create(
            {"partner_id": customer.partner_id.id, "odm_portal_cart": True}
        )
        cart._odm_add_uploads(
            [("part.stl", box_stl(100, 80, 30))], self.sla, 2, material=self.resin
        )
        cart.message_subscribe(partner_ids=customer.partner_id.ids)
        self.authenticate("odm_ctp_portal", "odm_ctp_portal")
        page = self.url_open("/odm/quote").text
        date = re.escape(format_date(self.env, cart.order_line.odm_promised_date))
        self.assertRegex(page, rf"ready by\s*<span[^>]*>{date}</span>")

    def test_api_answers_the_same_promise(self):
        customer = new_test_user(self.env, login="odm_ctp_api", groups="base.group_portal")
        key = (
            self.env["res.users.apikeys"]
            .with_user(customer)
            ._generate(None, "storefront", fields.Datetime.now() + timedelta(hours=12))
        )
        answers = {}
        for name, size in (("fits", (100, 80, 30)), ("too_large", (304, 304, 10))):
            response = self.url_open(
                "/odm/api/v1/quote",
                data={"process": self.sla.code, "material": self.resin.code, "quantity": "2"},
                files={"file": (f"{name}.stl", box_stl(*size))},
                headers={"Authorization": f"Bearer {key}"},
            )
            self.assertEqual(response.status_code, 200, response.text)
            answers[name] = json.loads(response.text)
        fits = answers["fits"]
        quote = self.env["odm.part.quote"].browse(fits["quote_id"])
        self.assertFalse(fits["needs_review"])
        self.assertEqual(fits["promised_date"], quote._odm_promised_date().isoformat())
        line = self._order((box_stl(100, 80, 30), self.sla, self.resin, 2)).order_line
        self.assertEqual(fits["promised_date"], line.odm_promised_date.isoformat(), "as the line")
        self.assertTrue(answers["too_large"]["needs_review"])
        self.assertIsNone(answers["too_large"]["promised_date"])
