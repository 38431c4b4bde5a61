"""The customer portal over real HTTP: upload, cart, quotation request, parts library, access."""

import re

from markupsafe import escape

from odoo.tests import HttpCase, new_test_user, tagged

from odm_engine.mesh.errors import MeshError
from odm_engine.service import analyse_upload

from ..models.sale_order_line import customer_findings
from .common import box_stl, zipped

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
BROKEN_STL = b"solid broken\nendsolid broken\n"


def engine_refusal(data, filename):
    """The engine's own sentence for a file it refuses."""
    try:
        analyse_upload(data, filename)
    except MeshError as error:
        return error.message
    raise AssertionError(f"{filename} was not refused")


def money(amount):
    """How the monetary widget writes an amount (without its currency symbol)."""
    return f"{amount:,.2f}"


def delivery_prices(option, quantity):
    """A delivery option's unit price and total as an order line would carry them."""
    unit_price = round(option["unit_price"], 2)
    return money(unit_price), money(unit_price * quantity)


class PortalCase(HttpCase):
    """Two customer companies: Acme (buyers Ada and Bob) and Globex (Eve)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partners = cls.env["res.partner"]
        cls.acme = partners.create({"name": "Acme Robotics", "is_company": True})
        cls.globex = partners.create({"name": "Globex", "is_company": True})
        cls.ada = cls._portal_user("odm_portal_ada", "Ada Lovelace", cls.acme)
        cls.bob = cls._portal_user("odm_portal_bob", "Bob Acme", cls.acme)
        cls.eve = cls._portal_user("odm_portal_eve", "Eve Globex", cls.globex)
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        cls.sla = cls.env.ref("odm_quote.process_sla")
        cls.pla = cls.env.ref("odm_quote.material_pla")
        cls.tiers = cls.env["odm.lead.time.tier"].search([])

    @classmethod
    def _portal_user(cls, login, name, company):
        contact = cls.env["res.partner"].create(
            {"name": name, "parent_id": company.id, "email": f"{login}@example.com"}
        )
        return new_test_user(
            cls.env, login=login, groups="base.group_portal", partner_id=contact.id
        )

    def login(self, user):
        self.authenticate(user.login, user.login)

    def csrf(self, url="/odm/quote"):
        page = self.url_open(url)
        match = CSRF.search(page.text)
        self.assertTrue(match, f"no CSRF token in {url} ({page.status_code}): {page.text[:1000]}")
        return match.group(1)

    def post(self, url, data=None, files=None, token=True):
        """A form POST (even an empty one), its redirect not followed."""
        data = dict(data or {})
        if token:
            data["csrf_token"] = self.csrf()
        return self.opener.post(
            self.base_url() + url, data=data, files=files, allow_redirects=False, timeout=30
        )

    def upload(self, files, **options):
        form = {"process_id": self.fdm.id, "quantity": "10", "unit": "auto", **options}
        return self.url_open(
            "/odm/quote/upload",
            data={"csrf_token": self.csrf(), **form},
            files=[("files", (name, data)) for name, data in files.items()],
            timeout=60,  # a batch is analysed file after file
        )

    def cart(self, user):
        return self.env["sale.order"].search(
            [
                ("odm_portal_cart", "=", True),
                ("state", "=", "draft"),
                ("partner_id", "=", user.partner_id.id),
            ]
        )

    def make_cart(self, user, files, quantity=20, process=None):
        """A portal cart as the upload page makes it, without going through HTTP (FDM unless
        another ``process`` is given)."""
        cart = self.env["sale.order"].create(
            {"partner_id": user.partner_id.id, "odm_portal_cart": True}
        )
        cart.message_subscribe(partner_ids=user.partner_id.ids)
        cart._odm_add_uploads(list(files.items()), process or self.fdm, quantity)
        return cart

    def stored(self):
        """How many records an upload could leave behind."""
        env = self.env
        env.invalidate_all()
        return {
            "parts": env["odm.part"].search_count([]),
            "quotes": env["odm.part.quote"].search_count([]),
            "orders": env["sale.order"].search_count([]),
            "lines": env["sale.order.line"].search_count([]),
            "files": env["ir.attachment"].search_count([("res_model", "=", "odm.part")]),
        }

    def upload_with_a_broken_file(self):
        """A good and a broken file uploaded: the good one is priced, the broken one listed
        with its reason next to its name."""
        response = self.upload({"good.stl": box_stl(20, 20, 20), "broken.stl": BROKEN_STL})
        self.assertEqual(response.status_code, 200)
        reason = engine_refusal(BROKEN_STL, "broken.stl")
        self.assertRegex(
            response.text,
            r'data-file-name="broken\.stl">\s*<strong[^>]*>broken\.stl</strong>:\s*'
            rf'<span class="o_odm_refusal_reason">{re.escape(str(escape(reason)))}</span>',
        )
        self.assertIn('data-part-name="good.stl"', response.text)
        return response

    def assertLinePrices(self, line, html):
        """The line's unit price, subtotal and every delivery option's prices are on the page."""
        self.assertIn(money(line.price_unit), html)
        self.assertIn(money(line.price_subtotal), html)
        for option in line.odm_quote_id.result["lead_time_options"]:
            for price in delivery_prices(option, line.product_uom_qty):
                self.assertIn(price, html)

    def assertNotFound(self, response):
        self.assertEqual(response.status_code, 404, response.text[:300])

    def assertIn(self, member, container, msg=None):
        # Pages are long: a failure names what is missing rather than printing the page.
        if isinstance(container, str) and len(container) > 500 and member not in container:
            self.fail(msg or f"{member!r} is not in the page")
        super().assertIn(member, container, msg)

    def assertNotIn(self, member, container, msg=None):
        if isinstance(container, str) and len(container) > 500 and member in container:
            self.fail(msg or f"{member!r} is in the page")
        super().assertNotIn(member, container, msg)


@tagged("post_install", "-at_install")
class TestPortalUpload(PortalCase):
    def test_files_and_zip_are_priced_into_the_cart(self):
        self.login(self.ada)
        response = self.upload(
            {
                "bracket.stl": box_stl(40, 30, 20),
                "spares.zip": zipped({"spacer.stl": box_stl(10, 10, 5), "__MACOSX/._x": b"\0"}),
            }
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.split("#")[0].endswith("/odm/quote"), "redirected to the cart")
        cart = self.cart(self.ada)
        self.assertEqual(len(cart), 1)
        self.assertEqual(
            sorted(cart.order_line.odm_part_id.mapped("name")), ["bracket.stl", "spacer.stl"]
        )
        self.assertEqual(cart.order_line.odm_part_id.partner_id, self.acme, "parts of the company")
        self.assertIn(self.ada.partner_id, cart.message_partner_ids)
        html = response.text
        self.assertIn("2 parts priced and added to your cart", html)
        for line in cart.order_line:
            part = line.odm_part_id
            with self.subTest(part=part.name):
                self.assertEqual(line.product_uom_qty, 10)
                self.assertGreater(line.price_unit, 0)
                self.assertIn(f'id="odm_line_{line.id}"', html)
                self.assertIn(f"/my/parts/{part.id}/thumbnail", html)
                self.assertIn(part.dimensions, html)
                self.assertIn(f"{part.volume_mm3 / 1000:,.1f} cm³", html)
                self.assertLinePrices(line, html)
                options = line.odm_quote_id.result["lead_time_options"]
                self.assertEqual(len(options), len(self.tiers), "every delivery option")
                for option in options:
                    self.assertIn(str(escape(option["name"])), html)
                for finding in customer_findings(line.odm_quote_id.result["dfm"]):
                    self.assertIn(str(escape(finding["message"])), html)
        self.assertIn("40.0 × 30.0 × 20.0 mm", html)
        self.assertIn("24.0 cm³", html)
        self.assertIn('class="btn btn-primary btn-lg o_odm_request_quotation"', html)

    def test_corrupt_file_is_named_and_nothing_of_it_is_stored(self):
        self.login(self.ada)
        before = self.stored()
        response = self.upload_with_a_broken_file()
        self.assertNotIn('data-file-name="good.stl"', response.text, "only refused files listed")
        self.assertEqual(self.cart(self.ada).order_line.odm_part_id.mapped("name"), ["good.stl"])
        stored = self.stored()
        self.assertEqual(
            (stored["parts"], stored["lines"]), (before["parts"] + 1, before["lines"] + 1)
        )
        self.assertFalse(self.env["odm.part"].search([("name", "=", "broken.stl")]))

    def test_unreadable_zip_and_oversize_files_are_refused(self):
        self.login(self.ada)
        before = self.stored()
        response = self.upload({"parts.zip": b"PK\x03\x04 not really a zip"})
        self.assertEqual(response.status_code, 422)
        self.assertIn("parts.zip is not a readable zip archive.", response.text)
        self.env.company.odm_max_upload_mb = 1
        response = self.upload({"huge.stl": b"\0" * (2 * 2**20)})
        self.assertEqual(response.status_code, 422)
        self.assertIn('data-file-name="huge.stl"', response.text)
        self.assertIn("The file is larger than the 1 MB limit", response.text)
        self.assertEqual(self.stored(), before)

    def test_options_are_checked_and_explained(self):
        self.login(self.ada)
        before = self.stored()
        for options, message in (
            ({"quantity": "0"}, "The quantity must be a whole number between 1 and 1,000,000."),
            ({"quantity": "ten"}, "The quantity must be a whole number between 1 and"),
            ({"process_id": "999999"}, "This process is not offered; reload the page"),
            ({"unit": "furlong"}, "The unit must be one of"),
        ):
            with self.subTest(options=options):
                response = self.upload({"a.stl": box_stl(20, 20, 20)}, **options)
                self.assertEqual(response.status_code, 422)
                self.assertIn(message, response.text)
        response = self.url_open(
            "/odm/quote/upload", data={"csrf_token": self.csrf(), "process_id": self.fdm.id}
        )
        self.assertIn("Choose at least one 3D file or zip archive.", response.text)
        self.assertEqual(self.stored(), before)
        # A material the process does not run is refused, never priced as another one.
        aluminium = self.env["odm.material"].search(
            [("process_ids", "not in", self.sla.ids)], limit=1
        )
        response = self.upload(
            {"a.stl": box_stl(20, 20, 20)}, process_id=self.sla.id, material_id=aluminium.id
        )
        self.assertEqual(response.status_code, 422)
        self.assertIn(
            str(escape(f"{aluminium.name} is not made with {self.sla.name}")), response.text
        )
        self.assertEqual(self.stored(), before)

    def test_upload_page_offers_the_catalogue(self):
        self.login(self.ada)
        html = self.url_open("/odm/quote").text
        self.assertIn('enctype="multipart/form-data"', html)
        for record in (self.fdm, self.sla, self.pla, *self.tiers):
            self.assertIn(f'value="{record.id}"', html)
        self.assertIn("Your cart is empty.", html)


@tagged("post_install", "-at_install")
class TestPortalCart(PortalCase):
    def setUp(self):
        super().setUp()
        self.order = self.make_cart(self.ada, {"housing.stl": box_stl(60, 40, 30)})
        self.line = self.order.order_line
        self.login(self.ada)

    def test_changing_quantity_reprices(self):
        first = self.line.odm_quote_id
        form = {
            "quantity": "100",
            "process_id": self.fdm.id,
            "material_id": self.pla.id,
            "lead_time_id": self.line.odm_lead_time_id.id,
        }
        response = self.post(f"/odm/quote/line/{self.line.id}", form)
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertEqual(self.line.product_uom_qty, 100)
        self.assertNotEqual(self.line.odm_quote_id, first)
        self.assertLess(self.line.price_unit, first.unit_price, "quantity spreads setup costs")
        page = self.url_open("/odm/quote").text
        self.assertIn("housing.stl re-priced", page)
        self.assertIn(money(self.line.price_unit), page)

    def test_changing_process_needs_a_material_it_runs(self):
        quote = self.line.odm_quote_id
        form = {
            "quantity": "20",
            "process_id": self.sla.id,
            "material_id": self.pla.id,  # still the FDM material in the line's form
            "lead_time_id": self.line.odm_lead_time_id.id,
        }
        self.post(f"/odm/quote/line/{self.line.id}", form)
        self.env.invalidate_all()
        self.assertEqual((self.line.odm_process_id, self.line.odm_quote_id), (self.fdm, quote))
        page = self.url_open("/odm/quote").text
        self.assertIn(str(escape(f"{self.pla.name} is not made with {self.sla.name}")), page)
        # With a material of the new process (or the process's default), it is re-priced.
        self.post(f"/odm/quote/line/{self.line.id}", {**form, "material_id": ""})
        self.env.invalidate_all()
        self.assertEqual(self.line.odm_process_id, self.sla)
        self.assertEqual(self.line.odm_material_id, self.sla.default_material_id)
        self.assertEqual(self.line.odm_quote_id.result["process"], "SLA")

    def test_invalid_edit_changes_nothing(self):
        quote = self.line.odm_quote_id
        response = self.post(
            f"/odm/quote/line/{self.line.id}", {"quantity": "-3", "process_id": self.fdm.id}
        )
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertEqual((self.line.product_uom_qty, self.line.odm_quote_id), (20, quote))
        self.assertIn(
            "The quantity must be a whole number between 1 and", self.url_open("/odm/quote").text
        )

    def test_remove_line_keeps_the_part(self):
        part = self.line.odm_part_id
        response = self.post(f"/odm/quote/line/{self.line.id}/remove")
        self.assertEqual(response.status_code, 303)
        self.assertFalse(self.line.exists())
        self.assertTrue(part.exists())
        self.assertIn("Your cart is empty.", self.url_open("/odm/quote").text)

    def test_request_quotation_lists_it_under_my_quotations(self):
        response = self.post("/odm/quote/request", {"order_id": self.order.id})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(self.order.get_portal_url()))
        self.env.invalidate_all()
        self.assertEqual(self.order.state, "sent")
        self.assertFalse(self.order.odm_portal_cart)
        bodies = "".join(self.order.message_ids.mapped("body"))
        self.assertIn("Quotation requested on the customer portal.", bodies)
        self.assertIn(self.order.name, self.url_open("/my/quotes").text)
        self.assertEqual(self.url_open(self.order.get_portal_url()).status_code, 200)
        # Bob, from the same company, sees it too, as Odoo shows a company's quotations.
        self.login(self.bob)
        self.assertIn(self.order.name, self.url_open("/my/quotes").text)
        # The next upload starts a new cart.
        self.login(self.ada)
        self.upload({"lid.stl": box_stl(60, 40, 3)})
        self.assertNotEqual(self.cart(self.ada), self.order)
        self.assertEqual(self.cart(self.ada).order_line.odm_part_id.name, "lid.stl")

    def test_empty_cart_cannot_be_requested(self):
        self.line.unlink()
        self.post("/odm/quote/request", {"order_id": self.order.id})
        self.env.invalidate_all()
        self.assertEqual(self.order.state, "draft")
        self.assertIn("Add at least one part", self.url_open("/odm/quote").text)


@tagged("post_install", "-at_install")
class TestPartsLibrary(PortalCase):
    def setUp(self):
        super().setUp()
        self.order = self.make_cart(
            self.ada, {"bracket.stl": box_stl(40, 30, 20), "knob.stl": box_stl(15, 15, 12)}
        )
        self.bracket = self.order.order_line[0].odm_part_id
        self.make_cart(self.eve, {"secret.stl": box_stl(33, 22, 11)})

    def test_library_lists_the_company_parts_with_their_last_price(self):
        self.login(self.bob)  # Ada uploaded them: the library is the company's
        html = self.url_open("/my/parts").text
        self.assertIn("bracket.stl", html)
        self.assertIn("knob.stl", html)
        self.assertNotIn("secret.stl", html)
        self.assertIn(self.bracket.dimensions, html)
        self.assertIn(money(self.bracket.quote_ids[:1].unit_price), html)
        self.assertIn(f"/my/parts/{self.bracket.id}/order", html)
        searched = self.url_open("/my/parts?search=brack").text
        self.assertIn("bracket.stl", searched)
        self.assertNotIn("knob.stl", searched)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["odm_part_count"]})
        self.assertEqual(counters["odm_part_count"], 2)
        home = self.url_open("/my/home").text
        self.assertIn('href="/my/parts" title="3D parts"', home)
        self.assertIn('href="/odm/quote" title="Instant quote"', home)

    def test_part_page_and_thumbnail(self):
        self.login(self.bob)
        html = self.url_open(f"/my/parts/{self.bracket.id}").text
        self.assertIn("40.0 × 30.0 × 20.0 mm", html)
        self.assertIn("24.0 cm³", html)
        quote = self.bracket.quote_ids[:1]
        self.assertIn(money(round(quote.unit_price, 2) * quote.quantity), html, "as the line says")
        thumbnail = self.url_open(f"/my/parts/{self.bracket.id}/thumbnail")
        self.assertEqual(thumbnail.status_code, 200)
        self.assertEqual(thumbnail.headers["Content-Type"], "image/png")
        self.assertTrue(thumbnail.content.startswith(b"\x89PNG"))

    def test_order_again_adds_a_cart_line_with_the_last_options(self):
        line = self.order.order_line[0]
        line.write({"odm_process_id": self.sla.id, "odm_material_id": False, "product_uom_qty": 7})
        last = self.env["odm.part.quote"].search([("part_id", "=", self.bracket.id)], limit=1)
        self.assertEqual((last.process_id, last.quantity), (self.sla, 7))
        self.order.action_quotation_sent()
        self.login(self.ada)
        response = self.post(f"/my/parts/{self.bracket.id}/order")
        self.assertEqual(response.status_code, 303)
        cart = self.cart(self.ada)
        self.assertNotEqual(cart, self.order, "a new cart")
        again = cart.order_line
        self.assertEqual(again.odm_part_id, self.bracket, "the same part: no new upload")
        self.assertEqual(again.product_uom_qty, 7)
        self.assertEqual(again.odm_process_id, self.sla)
        self.assertEqual(again.odm_material_id, last.material_id)
        self.assertEqual(again.odm_lead_time_id, last.lead_time_id)
        self.assertNotEqual(again.odm_quote_id, last, "priced again with today's rates")
        self.assertIn(f"#odm_line_{again.id}", response.headers["Location"])
        self.assertIn("bracket.stl added to your cart", self.url_open("/odm/quote").text)

    def test_order_again_with_an_option_no_longer_offered_changes_nothing(self):
        last = self.bracket.quote_ids[:1]
        self.order.action_quotation_sent()
        last.material_id.active = False
        self.login(self.ada)
        response = self.post(f"/my/parts/{self.bracket.id}/order")
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"/my/parts/{self.bracket.id}"))
        self.assertFalse(self.cart(self.ada), "no cart is started for a refused part")
        page = self.url_open(f"/my/parts/{self.bracket.id}").text
        self.assertIn("is offered here; choose one of", page)


@tagged("post_install", "-at_install")
class TestPortalAccess(PortalCase):
    """Forged ids answer 404 and change nothing; POST forms need their CSRF token."""

    def setUp(self):
        super().setUp()
        self.order = self.make_cart(self.ada, {"bracket.stl": box_stl(40, 30, 20)})
        self.line = self.order.order_line
        self.part = self.line.odm_part_id

    def test_other_company_gets_404_everywhere(self):
        self.login(self.eve)
        before = self.stored()
        quote = self.line.odm_quote_id
        for url in (f"/my/parts/{self.part.id}", f"/my/parts/{self.part.id}/thumbnail"):
            with self.subTest(url=url):
                self.assertNotFound(self.url_open(url))
        for url, data in (
            (f"/my/parts/{self.part.id}/order", {}),
            (f"/odm/quote/line/{self.line.id}", {"quantity": "1", "process_id": self.fdm.id}),
            (f"/odm/quote/line/{self.line.id}/remove", {}),
            ("/odm/quote/request", {"order_id": self.order.id}),
        ):
            with self.subTest(url=url):
                self.assertNotFound(self.post(url, data))
        self.assertNotIn("bracket.stl", self.url_open("/my/parts").text)
        self.assertEqual(self.stored(), before)
        self.assertEqual((self.line.product_uom_qty, self.line.odm_quote_id), (20, quote))
        self.assertEqual(self.order.state, "draft")
        self.assertFalse(self.cart(self.eve), "no cart was made for the intruder")

    def test_colleague_cannot_touch_anothers_cart(self):
        self.login(self.bob)
        self.assertNotFound(self.post(f"/odm/quote/line/{self.line.id}/remove"))
        self.assertNotFound(self.post("/odm/quote/request", {"order_id": self.order.id}))
        self.assertTrue(self.line.exists())
        self.assertEqual(self.order.state, "draft")

    def test_only_the_current_cart_can_be_requested(self):
        self.login(self.ada)
        for order_id in ("999999", "not-a-number", ""):
            with self.subTest(order_id=order_id):
                self.assertNotFound(self.post("/odm/quote/request", {"order_id": order_id}))
        self.order.action_quotation_sent()
        cart = self.make_cart(self.ada, {"lid.stl": box_stl(60, 40, 3)})
        # Requesting it again (a second click) only shows the quotation.
        response = self.post("/odm/quote/request", {"order_id": self.order.id})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(self.order.get_portal_url()))
        self.assertNotFound(self.post(f"/odm/quote/line/{self.line.id}/remove"))
        self.assertTrue(self.line.exists(), "a requested quotation is no longer a cart")
        self.env.invalidate_all()
        self.assertEqual((cart.state, cart.odm_portal_cart), ("draft", True), "cart untouched")

    def test_post_without_csrf_token_is_refused(self):
        self.login(self.ada)
        with self.assertLogs("odoo.http", "WARNING"):
            response = self.post(f"/odm/quote/line/{self.line.id}/remove", token=False)
        self.assertEqual(response.status_code, 400)
        self.assertTrue(self.line.exists())
        forms = self.url_open("/odm/quote").text.count('method="post"')
        tokens = self.url_open("/odm/quote").text.count('name="csrf_token"')
        self.assertEqual(forms, tokens, "every POST form carries its token")


@tagged("post_install", "-at_install")
class TestPublicVisitor(PortalCase):
    def test_visitors_are_sent_to_login_unless_allowed(self):
        self.env.company.odm_public_upload = False
        self.authenticate(None, None)
        response = self.url_open("/odm/quote", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login?redirect=%2Fodm%2Fquote", response.headers["Location"])
        before = self.stored()
        response = self.url_open(
            "/odm/quote/upload",
            data={"csrf_token": self.csrf("/web/login"), "process_id": self.fdm.id},
            files=[("files", ("a.stl", box_stl(20, 20, 20)))],
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.assertEqual(self.stored(), before)
        response = self.url_open("/my/parts", allow_redirects=False)
        self.assertIn("/web/login", response.headers["Location"])
        response = self.post("/odm/quote/request", {"order_id": "1"})
        self.assertIn("/web/login", response.headers["Location"])

    def test_allowed_visitors_get_prices_and_nothing_is_stored(self):
        self.env.company.odm_public_upload = True
        self.env["ir.config_parameter"].set_param("auth_signup.invitation_scope", "b2c")
        self.authenticate(None, None)
        page = self.url_open("/odm/quote")
        self.assertEqual(page.status_code, 200)
        self.assertIn("/web/signup?redirect=%2Fodm%2Fquote", page.text)
        before = self.stored()
        response = self.upload({"bracket.stl": box_stl(40, 30, 20)}, quantity="10")
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertEqual(self.stored(), before, "a visitor's files are not kept")
        self.assertIn("your files were not stored", html)
        self.assertIn("/web/login?redirect=%2Fodm%2Fquote", html)
        self.assertIn("data:image/png;base64,", html)
        self.assertIn("40.0 × 30.0 × 20.0 mm", html)
        self.assertIn("24.0 cm³", html)
        # The same price as a customer's line for the same file and options.
        order = self.make_cart(self.ada, {"bracket.stl": box_stl(40, 30, 20)}, quantity=10)
        self.assertLinePrices(order.order_line, html)
        self.assertNotIn("o_odm_request_quotation", html)

    def test_allowed_visitors_see_refusals(self):
        self.env.company.odm_public_upload = True
        self.authenticate(None, None)
        before = self.stored()
        response = self.upload_with_a_broken_file()
        self.assertEqual(response.text.count('class="card mb-3 o_odm_priced_part"'), 1)
        many = zipped({f"p{index}.stl": box_stl(10 + index, 10, 10) for index in range(11)})
        response = self.upload({"many.zip": many})
        self.assertEqual(response.status_code, 422)
        self.assertIn("The upload holds 11 parts; up to 10", response.text)
        self.assertEqual(self.stored(), before)


@tagged("post_install", "-at_install", "is_tour")
class TestPortalQuoteTour(PortalCase):
    def test_customer_uploads_and_requests_a_quotation(self):
        self.start_tour("/odm/quote", "odm_portal_quote_tour", login=self.ada.login)
        quotation = self.env["sale.order"].search([("partner_id", "=", self.ada.partner_id.id)])
        self.assertEqual(quotation.state, "sent")
        self.assertFalse(quotation.odm_portal_cart)
        self.assertEqual(quotation.order_line.odm_part_id.name, "cube.stl")
        self.assertEqual(quotation.order_line.product_uom_qty, 5)
        self.assertGreater(quotation.amount_untaxed, 0)


@tagged("post_install", "-at_install")
class TestBlockedQuotation(PortalCase):
    """A quotation with a blocking manufacturability finding cannot be accepted online."""

    def sent_quotation(self, files):
        order = self.make_cart(self.ada, files)
        order.write({"odm_portal_cart": False, "state": "sent"})
        return order

    def test_blocked_quotation_says_why_and_refuses_acceptance(self):
        fine = self.sent_quotation({"lid.stl": box_stl(60, 40, 3)})
        # Two metres long: no printer is that big, a fatal finding.
        blocked = self.sent_quotation({"beam.stl": box_stl(2000, 20, 20)})
        self.assertTrue(blocked.odm_blocked)
        self.login(self.ada)
        page = self.url_open(fine.get_portal_url()).text
        self.assertIn('data-bs-target="#modalaccept"', page)
        self.assertNotIn("odm_blocked_notice", page)
        page = self.url_open(blocked.get_portal_url()).text
        self.assertIn("odm_blocked_notice", page)
        self.assertIn("beam.stl", page)
        self.assertNotIn('data-bs-target="#modalaccept"', page)
        answer = self.make_jsonrpc_request(
            f"/my/orders/{blocked.id}/accept",
            {"name": "Ada Lovelace", "signature": "iVBORw0KGgo="},
        )
        self.assertIn("error", answer)
        self.env.invalidate_all()
        self.assertEqual(blocked.state, "sent")
        self.assertFalse(blocked.signature)
        # Once a quoting manager overrides the finding, the customer can accept.
        blocked.order_line.odm_dfm_override = True
        self.assertIn('data-bs-target="#modalaccept"', self.url_open(blocked.get_portal_url()).text)
