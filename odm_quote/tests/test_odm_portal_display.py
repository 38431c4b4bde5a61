"""What the customer reads on the portal: option lists of the chosen process only, numbers
written in their language, breadcrumbs that say where they are, and the quotation showing each
part as the cart did."""

import json
import re
from html import unescape

from markupsafe import escape

from odoo.tests import tagged
from odoo.tools import formatLang

from .common import box_stl
from .test_odm_portal import PortalCase

SELECT = r'<select name="{name}"[^>]*id="{prefix}_{field}"[^>]*>(.*?)</select>'


def select_values(html, prefix, name, field):
    """The option values of a form's select (empty ones left out)."""
    match = re.search(SELECT.format(name=name, prefix=prefix, field=field), html, re.DOTALL)
    assert match, f"no {name} select for {prefix}"
    return [int(value) for value in re.findall(r'value="(\d+)"', match.group(1))]


def breadcrumbs(html):
    """The portal breadcrumb's entries, as text."""
    match = re.search(r"<ol[^>]*o_portal_submenu[^>]*>(.*?)</ol>", html, re.DOTALL)
    assert match, "no breadcrumbs"
    items = re.findall(r"<li[^>]*>(.*?)</li>", match.group(1), re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@tagged("post_install", "-at_install")
class TestOptionLists(PortalCase):
    def setUp(self):
        super().setUp()
        self.catalogue = self.env["odm.request.options"].catalogue()
        self.login(self.ada)

    def offered(self, process):
        materials = process.material_ids & self.catalogue["materials"]
        finishes = self.env["odm.request.options"].offered_finishes(
            process, process.default_material_id, self.catalogue["finishes"]
        )
        return materials, finishes

    def test_upload_form_offers_the_chosen_process_options_once(self):
        html = self.url_open("/odm/quote").text
        process = self.catalogue["default_process"]
        materials, finishes = self.offered(process)
        self.assertEqual(
            select_values(html, "odm_upload", "material_id", "material"), materials.ids
        )
        finish_ids = select_values(html, "odm_upload", "finish_id", "finish")
        self.assertEqual(finish_ids, finishes.ids)
        self.assertEqual(len(finish_ids), len(set(finish_ids)), "each finish once")
        others = self.env["odm.material"].search([("process_ids", "not in", process.ids)])
        self.assertTrue(others, "some material is not made with the default process")
        self.assertFalse(set(others.ids) & set(materials.ids))
        # What the script refills the lists from when the process changes.
        choices = json.loads(unescape(re.search(r'data-odm-choices="([^"]+)"', html).group(1)))
        sla_materials, _finishes = self.offered(self.sla)
        self.assertEqual([m[0] for m in choices[str(self.sla.id)]["materials"]], sla_materials.ids)

    def test_a_cart_line_offers_its_own_process_options(self):
        cart = self.make_cart(self.ada, {"housing.stl": box_stl(60, 40, 30)})
        line = cart.order_line
        line.write({"odm_process_id": self.sla.id, "odm_material_id": False})
        html = self.url_open("/odm/quote").text
        prefix = f"odm_line_{line.id}"
        materials, finishes = self.offered(self.sla)
        self.assertEqual(select_values(html, prefix, "material_id", "material"), materials.ids)
        self.assertEqual(select_values(html, prefix, "finish_id", "finish"), finishes.ids)
        self.assertNotIn(self.pla.id, select_values(html, prefix, "material_id", "material"))


@tagged("post_install", "-at_install")
class TestNumbersForPeople(PortalCase):
    def page_in(self, lang, quantity):
        self.env["res.lang"]._activate_lang(lang)
        self.ada.lang = lang
        self.login(self.ada)
        response = self.upload(
            {"plate.stl": box_stl(60, 40, 0.6), "bracket.stl": box_stl(40, 30, 20)},
            quantity=str(quantity),
        )
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_english_numbers_and_plurals(self):
        html = self.page_in("en_US", 1)
        self.assertIn("40.0 × 30.0 × 20.0 mm", html)
        self.assertIn("24.0 cm³", html)
        self.assertIn("0.60 mm", html, "the thin plate's finding, its wall in decimals")
        self.assertRegex(html, r'o_odm_quantity">\s*1 part:\s*</span>')
        self.assertNotRegex(html, r'o_odm_quantity">\s*1 parts')
        self.assertNotRegex(html, r"\de\+\d", "no scientific notation")

    def test_french_numbers(self):
        html = self.page_in("fr_FR", 10)
        self.assertIn("40,0 × 30,0 × 20,0 mm", html)
        self.assertIn("24,0 cm³", html)
        self.assertIn("0,60 mm", html)
        self.assertNotIn("0.60 mm", html)
        self.assertIn("10 parts:", html)
        line = self.cart(self.ada).order_line.filtered(
            lambda cart_line: cart_line.odm_part_id.name == "plate.stl"
        )
        finding = next(
            f for f in line.odm_quote_id.result["dfm"] if "params" in f and f["params"].get("wall")
        )
        text = self.env["ir.qweb.field.odm_finding"].with_context(lang="fr_FR").odm_text(finding)
        self.assertIn(str(escape(text)), html)
        self.assertNotEqual(text, finding["message"])

    def test_german_thousands(self):
        html = self.page_in("de_DE", 1200)
        self.assertIn(formatLang(self.env(context={"lang": "de_DE"}), 1200, digits=0), html)
        self.assertIn("1.200 parts:", html)
        self.assertIn("24,0 cm³", html)


@tagged("post_install", "-at_install")
class TestBreadcrumbsAndOrderPage(PortalCase):
    def setUp(self):
        super().setUp()
        self.order = self.make_cart(self.ada, {"housing.stl": box_stl(60, 40, 30)})
        self.order.write({"odm_portal_cart": False, "state": "sent"})
        self.part = self.order.order_line.odm_part_id
        self.login(self.ada)

    def test_breadcrumbs_say_where_the_customer_is(self):
        for url, expected in (
            ("/odm/quote", ["Instant quote"]),
            ("/my/parts", ["3D parts"]),
            (f"/my/parts/{self.part.id}", ["3D parts", "housing.stl"]),
            (self.order.get_portal_url(), ["Quotations", f"Quotation {self.order.name}"]),
        ):
            with self.subTest(url=url):
                # The first entry is the home icon.
                self.assertEqual(breadcrumbs(self.url_open(url).text)[1:], expected)

    def test_quotation_shows_the_part_card(self):
        html = self.url_open(self.order.get_portal_url()).text
        line = self.order.order_line
        self.assertIn('id="odm_parts"', html)
        self.assertEqual(html.count('class="card mb-3 o_odm_priced_part"'), 1)
        self.assertIn('data-part-name="housing.stl"', html)
        self.assertIn(f'id="odm_line_{line.id}"', html)
        self.assertIn("data:image/png;base64,", html)
        self.assertIn(self.part.dimensions, html)
        self.assertIn(line.odm_material_id.name or line.odm_quote_id.result["material_name"], html)
        self.assertIn("o_odm_lead_times", html)
        self.assertIn("Manufacturability", html)
        # Opened with the order's link by someone without an account, the card is the same.
        self.authenticate(None, None)
        html = self.url_open(self.order.get_portal_url()).text
        self.assertIn('data-part-name="housing.stl"', html)
        self.assertIn("data:image/png;base64,", html)
