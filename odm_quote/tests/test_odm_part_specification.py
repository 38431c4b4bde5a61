import base64
import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from ..models.odm_part_specification import is_specification_item
from .common import PartCase, box_stl
from .test_odm_portal import PortalCase
from .test_odm_quote_api import URL as API_URL

# The smallest file our check takes for a PDF: its header and its end-of-file marker.
DRAWING = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
THREADS_AND_FINE = {"tolerance_class": "f", "thread_size": "M3", "thread_count": 4}


def spec_items(line):
    """The breakdown items of the line's quote that price a specification, by code."""
    breakdown = line.odm_quote_id.result["breakdown"]
    return {item["code"]: item for item in breakdown if is_specification_item(item)}


@tagged("post_install", "-at_install")
class TestPartSpecification(PartCase):
    def setUp(self):
        super().setUp()
        self.upload({"bracket.stl": box_stl(40, 30, 20)}, quantity=10)
        self.line = self.order.order_line
        self.specs = self.env["odm.part.specification"]

    def test_threads_and_iso_f_cost_exactly_their_explained_lines(self):
        plain_price, plain = self.line.price_unit, self.line.odm_quote_id.result
        self.specs._odm_set_for_line(self.line, {**THREADS_AND_FINE, "drawing": DRAWING})
        result = self.line.odm_quote_id.result
        items = spec_items(self.line)
        self.assertEqual(set(items), {"tolerance", "threads_M3"})
        process = self.fdm.engine_params()
        self.assertEqual(items["threads_M3"]["label"], "4 x M3 threads")
        self.assertAlmostEqual(
            items["threads_M3"]["amount"],
            4 * process.thread_min / 60 * process.labour_rate_per_hour,
        )
        # A 40 mm part in ISO 2768-f is ±0.15 mm: one halving of FDM's standard ±0.3 mm.
        self.assertEqual(items["tolerance"]["inputs"]["tolerance_mm"], 0.15)
        self.assertAlmostEqual(items["tolerance"]["inputs"]["halvings"], 1.0)
        extra_cost = sum(item["amount"] for item in items.values()) * (1 + process.scrap_pct / 100)
        self.assertAlmostEqual(result["unit_cost"] - plain["unit_cost"], extra_cost, places=6)
        by_code = {item["code"]: item for item in result["breakdown"]}
        markup = by_code["margin"]["inputs"]["markup_pct"]
        discount = by_code["quantity_discount"]["inputs"]["discount_pct"]
        extra_price = extra_cost * (1 + markup / 100) * (1 - discount / 100)
        self.assertAlmostEqual(self.line.price_unit - plain_price, extra_price, delta=0.011)
        self.assertAlmostEqual(
            sum(item["amount"] for item in result["breakdown"]), result["unit_price"], places=6
        )
        self.assertIn("Threads: 4 x M3 tapped", self.line.name)
        self.assertIn("General tolerance: ISO 2768-f", self.line.name)
        self.assertFalse(self.line.order_id.odm_blocked, "threads with a drawing need no review")

    def test_duplicated_quotation_keeps_the_specification_and_its_price(self):
        self.specs._odm_set_for_line(self.line, {**THREADS_AND_FINE, "drawing": DRAWING})
        copy = self.line.order_id.copy()
        line = copy.order_line.filtered("odm_part_id")
        spec = line.odm_specification_ids
        self.assertEqual(
            (spec.tolerance_class, spec.thread_size, spec.thread_count), ("f", "M3", 4)
        )
        self.assertEqual(base64.b64decode(spec.drawing), DRAWING)
        self.assertEqual(set(spec_items(line)), {"tolerance", "threads_M3"})
        self.assertAlmostEqual(line.price_unit, self.line.price_unit, places=2)
        self.assertEqual(len(self.line.odm_specification_ids), 1, "the original keeps its own")

    def test_tight_tolerance_without_drawing_blocks_the_order_for_review(self):
        order = self.line.order_id
        spec = self.specs._odm_set_for_line(self.line, {"tolerance_mm": 0.12})
        self.assertTrue(order.odm_blocked)
        self.assertIn("technical drawing (PDF) is needed", self.line.odm_dfm_status)
        with self.assertRaisesRegex(UserError, "cannot be confirmed"):
            order.action_confirm()
        order._odm_request_received()
        self.assertTrue(order._odm_dfm_review_pending(), "a quoting manager is asked to review")
        spec.write({"drawing": base64.b64encode(DRAWING), "drawing_name": "bracket.pdf"})
        order.invalidate_recordset(["odm_blocked"])  # computed per request, without depends
        self.assertFalse(order.odm_blocked, "with the drawing the tolerance is reviewable")
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        with self.assertRaisesRegex(UserError, "confirmed order cannot change"):
            spec.write({"inspection": "full"})

    def test_staff_edit_the_specification_from_the_quote_line(self):
        action = self.line.action_odm_open_specification()
        model = self.env[action["res_model"]].with_context(action["context"])
        with Form(model, view="odm_quote.odm_part_specification_view_form") as form:
            form.inspection = "full"
            form.roughness_ra_um = 3.2
        self.assertEqual(self.line.odm_specification_ids.inspection, "full")
        self.assertEqual(set(spec_items(self.line)), {"inspection", "roughness"})
        self.assertIn("Inspection: Full dimensional report", self.line.name)
        self.assertEqual(self.line.action_odm_open_specification()["res_id"], form.record.id)

    def test_tolerance_the_process_cannot_hold_blocks_even_with_a_drawing(self):
        self.specs._odm_set_for_line(self.line, {"tolerance_mm": 0.02, "drawing": DRAWING})
        self.assertTrue(self.line.order_id.odm_blocked)
        self.assertIn("finer than FDM", self.line.odm_dfm_status)

    def test_bad_values_and_files_are_refused_and_nothing_changes(self):
        quote = self.line.odm_quote_id
        for values, message in (
            ({"drawing": b"GIF89a not a drawing"}, "must be a PDF"),
            ({"thread_count": 2}, "Threads need both a size and a count"),
            ({"tolerance_mm": 50.0}, "tolerance_mm must be between"),
        ):
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(UserError, message),
                self.env.cr.savepoint(),
            ):
                self.specs._odm_set_for_line(self.line, values)
        self.assertFalse(self.line.odm_specification_ids)
        self.assertEqual(self.line.odm_quote_id, quote)


@tagged("post_install", "-at_install")
class TestPortalSpecification(PortalCase):
    def test_customer_sets_a_specification_on_a_cart_line_and_only_their_own(self):
        cart = self.make_cart(self.ada, {"plate.stl": box_stl(50, 40, 10)})
        line = cart.order_line
        url = f"/odm/quote/line/{line.id}/specification"
        self.login(self.eve)
        self.assertEqual(self.post(url, THREADS_AND_FINE).status_code, 404)
        self.assertFalse(line.odm_specification_ids)
        self.login(self.ada)
        refused = self.post(url, THREADS_AND_FINE, files={"drawing": ("d.pdf", b"not a pdf")})
        self.assertEqual(refused.status_code, 303)
        self.assertFalse(line.odm_specification_ids, "a refused drawing changes nothing")
        response = self.post(url, THREADS_AND_FINE, files={"drawing": ("plate.pdf", DRAWING)})
        self.assertEqual(response.status_code, 303)
        spec = line.odm_specification_ids
        self.assertEqual((spec.thread_size, spec.thread_count), ("M3", 4))
        self.assertEqual(spec.drawing_name, "plate.pdf")
        page = self.url_open("/odm/quote").text
        self.assertIn("4 x M3 threads", page)
        self.assertIn("o_odm_spec_form", page)


@tagged("post_install", "-at_install", "is_tour")
class TestSpecificationTour(PortalCase):
    def test_customer_sets_tolerance_and_threads_and_sees_their_price_lines(self):
        cart = self.make_cart(self.ada, {"flange.stl": box_stl(60, 40, 30)})
        before = cart.order_line.price_unit
        self.start_tour("/odm/quote", "odm_specification_tour", login=self.ada.login, timeout=40)
        spec = cart.order_line.odm_specification_ids
        self.assertEqual(
            (spec.tolerance_class, spec.thread_size, spec.thread_count), ("m", "M4", 2)
        )
        self.assertGreater(cart.order_line.price_unit, before)


@tagged("post_install", "-at_install")
class TestApiSpecification(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        customer = cls.env["res.partner"].create({"name": "Spec Storefront", "is_company": True})
        user = new_test_user(
            cls.env, login="odm_api_spec", groups="base.group_portal", partner_id=customer.id
        )
        expiry = fields.Datetime.now() + timedelta(hours=12)
        cls.key = cls.env["res.users.apikeys"].with_user(user)._generate(None, "spec", expiry)

    def _post(self, files, **options):
        response = self.url_open(
            API_URL, data=options, files=files, headers={"Authorization": f"Bearer {self.key}"}
        )
        return response.status_code, json.loads(response.text or "null")

    def test_quote_api_prices_a_specification_and_keeps_the_drawing(self):
        spec = {"tolerance_class": "m", "inserts": [{"size": "M4", "count": 2}]}
        status, body = self._post(
            files={
                "file": ("bracket.stl", box_stl(40, 30, 20)),
                "drawing": ("bracket.pdf", DRAWING),
            },
            process="FDM",
            quantity="10",
            specification=json.dumps(spec),
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(body["specification"]["inserts"], [{"size": "M4", "count": 2}])
        self.assertTrue(body["specification"]["drawing"])
        self.assertFalse(body["fatal"], "the drawing shows where the inserts go")
        quote = self.env["odm.part.quote"].browse(body["quote_id"])
        codes = [item["code"] for item in quote.result["breakdown"]]
        self.assertIn("inserts_M4", codes)
        self.assertIn("tolerance", codes)
        self.assertAlmostEqual(quote.unit_price, body["unit_price"], delta=0.005)
        drawing = self.env["ir.attachment"].search(
            [("res_model", "=", "odm.part.quote"), ("res_id", "=", quote.id)]
        )
        self.assertEqual(drawing.raw, DRAWING)

    def test_quote_api_refuses_a_bad_specification_by_name(self):
        status, body = self._post(
            files={"file": ("bracket.stl", box_stl(40, 30, 20))},
            process="FDM",
            specification=json.dumps({"threads": [{"size": "M7", "count": 1}]}),
        )
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["field"], "specification")
        self.assertIn("threads[0].size must be one of", body["error"]["message"])
