"""What the buyer sees (odm.customer.view): the price grid, the breakdown at the company's level
and the process comparison, on the portal, in the quote API and on the quotation PDF."""

import json
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import box_stl
from .test_odm_portal import PortalCase

CELL = re.compile(r'class="o_odm_grid_cell[^"]*"')
FORMULA_WORDS = ("labour_rate_per_hour", "markup_pct", "Margin")


@tagged("post_install", "-at_install")
class TestPortalCustomerView(PortalCase):
    def setUp(self):
        super().setUp()
        self.order = self.make_cart(self.ada, {"housing.stl": box_stl(60, 40, 30)})
        self.line = self.order.order_line
        self.company = self.env.company
        self.login(self.ada)

    def page(self):
        return self.url_open("/odm/quote").text

    def test_breakdown_follows_the_company_setting_and_hides_the_margin(self):
        self.company.odm_customer_breakdown = "none"
        html = self.page()
        self.assertIn("o_odm_price_grid", html, "the grid is shown whatever the breakdown")
        self.assertNotIn("o_odm_customer_breakdown", html)

        self.company.odm_customer_breakdown = "summary"
        html = self.page()
        self.assertIn('data-level="summary"', html)
        for group in ("Material", "Machine time", "Setup and tooling"):
            self.assertIn(f"<td>{group}</td>", html)

        self.company.odm_customer_breakdown = "full"
        html = self.page()
        self.assertIn('data-level="full"', html)
        self.assertIn("PLA filament", html, "the itemised lines, as staff see them")
        for word in FORMULA_WORDS:
            self.assertNotIn(word, html, "no cost rate, formula or margin for customers")

    def test_the_grid_offers_each_quantity_and_delivery_and_marks_the_cheapest(self):
        html = self.page()
        grid = self.line._odm_price_grid()
        self.assertEqual(len(CELL.findall(html)), len(grid.cells))
        self.assertEqual(html.count("o_odm_grid_cheapest"), 1)
        self.assertEqual(html.count("o_odm_grid_chosen"), 1)
        # Every cell but the line's own is a form that sets the line.
        forms = re.findall(r"<form[^>]*o_odm_grid_choose[^>]*>", html)
        self.assertEqual(len(forms), len(grid.cells) - 1)
        self.assertTrue(all(f'action="/odm/quote/line/{self.line.id}"' in form for form in forms))
        chosen = next(cell for cell in grid.cells if cell.chosen)
        self.assertEqual((chosen.quantity, chosen.unit_price), (20, self.line.price_unit))
        self.assertEqual(chosen.total_price, self.line.price_subtotal)

    def test_choosing_a_cell_reprices_the_line_to_its_figures(self):
        grid = self.line._odm_price_grid()
        express = self.tiers.filtered(lambda tier: tier.code == "express")
        cell = grid.cell(100, "express")
        response = self.post(
            f"/odm/quote/line/{self.line.id}",
            {
                "quantity": cell.quantity,
                "lead_time_id": express.id,
                "process_id": self.line.odm_process_id.id,
                "material_id": self.line.odm_material_id.id,
                "finish_id": "",
            },
        )
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertEqual(self.line.product_uom_qty, 100)
        self.assertEqual(self.line.odm_lead_time_id, express)
        self.assertEqual(self.line.price_unit, cell.unit_price)
        self.assertEqual(self.line.price_subtotal, cell.total_price)
        self.assertEqual(self.line.odm_lead_time_days, cell.days)

    def test_process_comparison_can_be_hidden(self):
        html = self.page()
        self.assertIn("o_odm_customer_comparison", html)
        self.assertIn("o_odm_cheapest_from", html)
        self.company.odm_customer_comparison = False
        self.assertNotIn("o_odm_customer_comparison", self.page())

    def test_a_visitor_sees_a_read_only_grid(self):
        self.company.odm_public_upload = True
        self.authenticate(None, None)
        html = self.upload({"knob.stl": box_stl(15, 15, 12)}).text
        self.assertIn("o_odm_price_grid", html)
        self.assertIn("o_odm_grid_chosen", html)
        self.assertNotIn("o_odm_grid_choose", html, "nothing to change without a cart")


@tagged("post_install", "-at_install")
class TestCustomerViewInApiAndReport(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Storefront Inc", "is_company": True})
        expiry = fields.Datetime.now() + timedelta(hours=12)
        cls.keys = {}
        for login, groups, partner in (
            ("odm_grid_portal", "base.group_portal", cls.customer),
            ("odm_grid_staff", "sales_team.group_sale_salesman", None),
        ):
            extra = {"partner_id": partner.id} if partner else {}
            user = new_test_user(cls.env, login=login, groups=groups, **extra)
            cls.keys[login] = (
                cls.env["res.users.apikeys"].with_user(user)._generate(None, "grid", expiry)
            )

    def quote(self, login, **options):
        response = self.url_open(
            "/odm/api/v1/quote",
            data={"process": "FDM", "quantity": "20", **options},
            files={"file": ("bracket.stl", box_stl(40, 30, 20))},
            headers={"Authorization": f"Bearer {self.keys[login]}"},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        return json.loads(response.text)

    def test_customers_get_the_grid_and_their_breakdown_only(self):
        body = self.quote("odm_grid_portal", lead_time="express")
        grid = body["price_grid"]
        cells = [cell for row in grid["rows"] for cell in row["cells"]]
        chosen = [cell for cell in cells if cell["chosen"]]
        self.assertEqual([(c["quantity"], c["tier"]) for c in chosen], [(20, "express")])
        self.assertEqual(chosen[0]["unit_price"], body["unit_price"])
        self.assertEqual(chosen[0]["total_price"], body["total_price"])
        self.assertEqual(sum(cell["cheapest"] for cell in cells), 1)
        self.assertEqual(body["breakdown_level"], "summary")
        self.assertEqual(body["breakdown"], body["customer_breakdown"])
        self.assertNotIn("margin", {item["category"] for item in body["breakdown"]})
        self.assertFalse([item for item in body["breakdown"] if "formula" in item])
        self.assertAlmostEqual(
            sum(item["amount"] for item in body["breakdown"]), body["unit_price"], places=4
        )
        self.assertIsNone(body["unit_cost"])
        self.assertTrue(body["process_comparison"]["cheapest_from"])

        self.env.company.write({"odm_customer_breakdown": "none", "odm_customer_comparison": False})
        body = self.quote("odm_grid_portal")
        self.assertEqual(body["breakdown"], [])
        self.assertIsNone(body["process_comparison"])

    def test_staff_keep_the_explained_breakdown(self):
        body = self.quote("odm_grid_staff")
        self.assertIn("margin", {item["category"] for item in body["breakdown"]})
        self.assertGreater(body["unit_cost"], 0)
        self.assertNotIn("margin", {item["category"] for item in body["customer_breakdown"]})
        self.assertTrue(body["price_grid"]["rows"])

    def test_quotation_pdf_prints_the_grid_when_the_company_asks(self):
        partner = self.env["res.partner"].create({"name": "Acme"})
        order = self.env["sale.order"].create({"partner_id": partner.id})
        order._odm_add_uploads(
            [("bracket.stl", box_stl(40, 30, 20))], self.env.ref("odm_quote.process_fdm"), 20
        )
        report = self.env["ir.actions.report"]

        def html():
            return report._render_qweb_html("sale.action_report_saleorder", order.ids)[0].decode()

        self.assertNotIn("o_odm_report_price_grid", html())
        self.env.company.odm_report_price_grid = True
        printed = html()
        self.assertIn("o_odm_report_price_grid", printed)
        self.assertEqual(printed.count('o_odm_report_price_grid"'), 1, "one grid per part")
        self.assertIn("bracket.stl", printed)
        self.assertRegex(printed, r"o_odm_report_price_grid_tax\">\s*\(Tax Excl\.\)")
        included = self.env["account.tax"].create(
            {"name": "VAT 21 % incl.", "amount": 21, "price_include_override": "tax_included"}
        )
        order.order_line.tax_id = included
        self.assertRegex(html(), r"o_odm_report_price_grid_tax\">\s*\(Tax Incl\.\)")


@tagged("post_install", "-at_install", "is_tour")
class TestPriceGridTour(PortalCase):
    def test_customer_chooses_a_cell_of_the_price_grid(self):
        order = self.make_cart(self.ada, {"housing.stl": box_stl(60, 40, 30)})
        cell = order.order_line._odm_price_grid().cell(100, "express")
        self.start_tour("/odm/quote", "odm_price_grid_tour", login=self.ada.login)
        line = order.order_line
        self.assertEqual(line.product_uom_qty, 100)
        self.assertEqual(line.odm_lead_time_id.code, "express")
        self.assertEqual(
            (line.price_unit, line.price_subtotal), (cell.unit_price, cell.total_price)
        )
