"""Every FDM and SLA line is sliced in the background: estimated ±x % until then, sliced after,
the same file never sliced twice, and an accepted order never re-priced silently."""

import base64
import json
import shutil
from datetime import timedelta
from unittest import skipIf

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.queue_job.job import Job

from .common import box_stl
from .test_odm_portal import PortalCase


def slicing_jobs(env, line):
    return (
        env["queue.job"]
        .search([("method_name", "=", "_odm_precise_reprice"), ("state", "=", "pending")])
        .filtered(lambda job: job.records == line)
    )


@tagged("post_install", "-at_install")
@skipIf(shutil.which("prusa-slicer") is None, "prusa-slicer is not installed")
class TestEstimateSource(PortalCase):
    # The process of the lines, another of its materials, and the printer profile it slices on.
    process_ref = "odm_quote.process_fdm"
    other_material_ref = "odm_quote.material_petg"
    printer = "MK4"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.process = cls.env.ref(cls.process_ref)
        # The process starts without slices of its own: its band is the benchmark's.
        cls.process.slice_sample_ids.unlink()
        cls.process.estimate_band = {}

    def setUp(self):
        super().setUp()
        self.cart_order = self.cart(self.ada, {"bracket.stl": box_stl(60, 40, 20)}, 5)
        self.line = self.cart_order.order_line

    def cart(self, user, files, quantity):
        return self.make_cart(user, files, quantity, process=self.process)

    def run_slice(self, line):
        jobs = slicing_jobs(self.env, line)
        self.assertEqual(len(jobs), 1, "one slicing job per line")
        Job.load(self.env, jobs.uuid).perform()

    def test_estimate_shows_its_band_until_the_slice_lands(self):
        line = self.line
        self.assertEqual(line.odm_precise_state, "queued")
        self.assertEqual(line.odm_estimate_source, "estimated")
        estimate = line.odm_quote_id._odm_estimate()
        low, high = estimate["unit_price"]
        self.assertLess(low, line.odm_quote_id.unit_price)
        self.assertGreater(high, line.odm_quote_id.unit_price)
        self.assertEqual(estimate["ranges"]["print_time_s"]["basis"], "benchmark")
        unit = line.odm_quote_id.unit_price
        band = round(max(high - unit, unit - low) / unit * 100) or "<1"
        self.assertEqual(line.odm_estimate_note, f"estimated ±{band} %")
        instant = line.odm_quote_id

        self.run_slice(line)
        quote = line.odm_quote_id
        self.assertEqual(line.odm_precise_state, "done")
        self.assertEqual(line.odm_estimate_source, "sliced")
        self.assertEqual(quote.parameters["slice"]["printer"], self.printer)
        self.assertEqual(line.odm_estimate_note, f"sliced on {self.printer}")
        self.assertEqual(line.price_unit, quote.unit_price)
        self.assertNotEqual(quote, instant, "a new version, priced with the slicer's figures")
        self.assertIn("from the slicer", str(quote.result["breakdown"]))
        self.assertLessEqual(low, line.price_unit, "the sliced price falls in the band shown")
        self.assertLessEqual(line.price_unit, high)
        self.assertEqual(
            self.env["odm.slice.result"].search_count([("sha256", "=", line.odm_part_id.sha256)]), 1
        )
        sample = self.process.slice_sample_ids
        self.assertEqual(len(sample), 1)
        self.assertAlmostEqual(sample.slicer_material_g, quote.result["material_g"], places=6)

    def test_a_band_under_one_percent_is_not_said_to_be_zero(self):
        words = self.env["odm.part.quote"]._odm_estimate_words
        estimate = {"source": "estimated", "unit_price": [3.99, 4.01]}
        self.assertEqual(words(estimate, 4.0), "estimated ±<1 %", "at the minimum price")
        self.assertEqual(words({**estimate, "unit_price": [3.9, 4.1]}, 4.0), "estimated ±3 %")

    def test_the_same_file_is_never_sliced_twice(self):
        self.run_slice(self.line)
        sliced = self.line.odm_quote_id.result["print_time_s"]
        again = self.cart(self.bob, {"copy.stl": box_stl(60, 40, 20)}, 12)
        line = again.order_line
        self.assertEqual(line.odm_estimate_source, "sliced", "priced from the stored slice")
        self.assertFalse(line.odm_precise_state)
        self.assertFalse(slicing_jobs(self.env, line), "nothing to slice")
        self.assertAlmostEqual(line.odm_quote_id.result["print_time_s"], sliced, places=6)
        self.assertEqual(len(self.env["odm.slice.result"].search([])), 1)
        self.assertEqual(
            len(self.process.slice_sample_ids), 1, "a stored slice is not a new sample"
        )
        # Another material is another slice.
        line.odm_material_id = self.env.ref(self.other_material_ref)
        self.assertEqual(line.odm_estimate_source, "estimated")
        self.assertEqual(len(slicing_jobs(self.env, line)), 1)

    def test_accepted_order_keeps_its_price_and_a_person_is_told(self):
        order, line = self.cart_order, self.line
        # Signed on the portal (a 1 x 1 PNG).
        order.signature = (
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
            "AAAABJRU5ErkJggg=="
        )
        accepted = line.price_unit
        self.env.company.odm_slice_alert_percent = 0.0
        self.run_slice(line)
        self.assertEqual(line.price_unit, accepted, "nothing re-prices an accepted order")
        self.assertEqual(line.odm_estimate_source, "estimated")
        self.assertIn("Accepted at", line.odm_precise_message)
        activity = order.activity_ids.filtered(
            lambda act: act.summary == "Sliced price differs from the accepted one"
        )
        self.assertEqual(len(activity), 1)
        self.assertIn(line.odm_part_id.name, activity.note)

    def test_small_differences_after_acceptance_tell_nobody(self):
        self.cart_order.action_confirm()
        accepted = self.line.price_unit
        self.env.company.odm_slice_alert_percent = 10000.0
        self.run_slice(self.line)
        self.assertEqual(self.line.price_unit, accepted)
        self.assertFalse(self.cart_order.activity_ids.filtered("summary"))

    def test_band_is_measured_on_the_process_slices(self):
        for ratio in (1.1, 0.9, 1.2, 0.8, 1.05):
            self.env["odm.slice.sample"].create(
                {
                    "process_id": self.process.id,
                    "part_id": self.line.odm_part_id.id,
                    "printer": self.printer,
                    "material": self.line.odm_quote_id.result["material"],
                    "estimate_print_time_s": 1000.0,
                    "slicer_print_time_s": 1000.0 * ratio,
                    "estimate_material_g": 10.0,
                    "slicer_material_g": 10.0 * ratio,
                }
            )
        band = self.process.estimate_band["print_time_s"]
        self.assertEqual(band["samples"], 5)
        self.assertAlmostEqual(band["relative"], 0.25, places=6, msg="exp|log 0.8| - 1")
        other = self.cart(self.eve, {"plate.stl": box_stl(50, 40, 2)}, 3)
        ranges = other.order_line.odm_quote_id._odm_estimate()["ranges"]
        self.assertEqual(ranges["print_time_s"]["basis"], "slices")
        value = ranges["print_time_s"]["value"]
        self.assertAlmostEqual(ranges["print_time_s"]["high"], value * 1.25, places=6)

    def test_portal_page_says_estimated_then_sliced(self):
        self.login(self.ada)
        page = self.url_open("/odm/quote").text
        self.assertIn(self.line.odm_estimate_note, page)
        self.assertIn(f'data-line-id="{self.line.id}"', page)
        status = self.make_jsonrpc_request(f"/odm/quote/line/{self.line.id}/estimate", {})
        self.assertEqual(status["state"], "queued")
        self.run_slice(self.line)
        status = self.make_jsonrpc_request(f"/odm/quote/line/{self.line.id}/estimate", {})
        self.assertEqual(status["state"], "done")
        self.assertEqual(status["source"], "sliced")
        page = self.url_open("/odm/quote").text
        self.assertIn(self.line.odm_estimate_note, page)
        self.assertNotIn("being sliced", page)
        self.login(self.eve)
        with self.assertRaises(JsonRpcException, msg="another company's line") as refused:
            self.make_jsonrpc_request(f"/odm/quote/line/{self.line.id}/estimate", {})
        self.assertIn("NotFound", str(refused.exception))

    def test_slicer_refusal_leaves_the_estimate_with_the_reason(self):
        line = self.line
        # The stored file no longer reads as a mesh: nothing can be sliced from it.
        line.odm_part_id.file = base64.b64encode(b"solid nothing\nendsolid nothing\n")
        instant = line.price_unit
        self.run_slice(line)
        self.assertEqual(line.odm_precise_state, "failed")
        self.assertIn("Slicing failed, the estimate stays:", line.odm_precise_message)
        self.assertEqual(line.price_unit, instant)
        self.assertEqual(line.odm_estimate_source, "estimated")


@tagged("post_install", "-at_install")
@skipIf(shutil.which("prusa-slicer") is None, "prusa-slicer is not installed")
class TestApiEstimateSource(HttpCase):
    """The quote API says where its figures come from and lets the caller poll until sliced."""

    # The process asked for (the company's default when None) and the profile it slices on.
    process_code = None
    printer = "MK4"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Storefront Inc", "is_company": True})
        cls.other = cls.env["res.partner"].create({"name": "Other Shop", "is_company": True})
        expiry = fields.Datetime.now() + timedelta(hours=12)  # portal keys live a day at most
        keys = []
        for login, partner in (("odm_api_est", cls.customer), ("odm_api_other", cls.other)):
            user = new_test_user(
                cls.env, login=login, groups="base.group_portal", partner_id=partner.id
            )
            keys.append(cls.env["res.users.apikeys"].with_user(user)._generate(None, login, expiry))
        cls.key, cls.other_key = keys

    def call(self, url, key=None, files=None, **options):
        headers = {"Authorization": f"Bearer {key or self.key}"}
        if files is not None and self.process_code:
            options["process"] = self.process_code
        if files is None:
            response = self.url_open(url, headers=headers)
        else:
            response = self.url_open(url, data=options, files=files, headers=headers)
        return response.status_code, json.loads(response.text or "null")

    def test_estimated_then_polled_until_sliced(self):
        status, body = self.call(
            "/odm/api/v1/quote", files={"file": ("hub.stl", box_stl(50, 50, 15))}, quantity="4"
        )
        self.assertEqual(status, 200, body)
        self.assertEqual(body["estimate_source"], "estimated")
        self.assertEqual(body["slice_state"], "queued")
        low, high = body["estimate"]["unit_price_range"]
        self.assertLess(low, body["unit_price"])
        self.assertLess(body["unit_price"], high)
        poll = f"/odm/api/v1/quote/{body['quote_id']}"
        self.assertEqual(self.call(poll)[1]["estimate_source"], "estimated")
        self.assertEqual(self.call(poll, key=self.other_key)[0], 404, "another caller's quote")

        quote = self.env["odm.part.quote"].browse(body["quote_id"])
        jobs = self.env["queue.job"].search([("method_name", "=", "_odm_slice_reprice")])
        job = jobs.filtered(lambda job: job.records == quote)
        self.assertEqual(len(job), 1)
        Job.load(self.env, job.uuid).perform()

        status, polled = self.call(poll)
        self.assertEqual(status, 200, polled)
        self.assertEqual(polled["estimate_source"], "sliced")
        self.assertNotEqual(polled["quote_id"], body["quote_id"], "a new version")
        self.assertEqual(polled["estimate"]["note"], f"sliced on {self.printer}")
        sliced = self.env["odm.part.quote"].browse(polled["quote_id"])
        self.assertAlmostEqual(polled["unit_price"], sliced.result["unit_price"], places=4)
        self.assertEqual(sliced.result["print_time_s"], sliced.parameters["slice"]["print_time_s"])

        # The same file again: priced from the stored slice at once.
        status, again = self.call(
            "/odm/api/v1/quote", files={"file": ("hub2.stl", box_stl(50, 50, 15))}, quantity="9"
        )
        self.assertEqual(again["estimate_source"], "sliced")
        self.assertIsNone(again["slice_state"])


class TestSlaEstimateSource(TestEstimateSource):
    """The same for resin: an SLA line is sliced in PrusaSlicer's SLA mode on the SL1S."""

    process_ref = "odm_quote.process_sla"
    other_material_ref = "odm_quote.material_resin_tgh"
    printer = "SL1S"

    def test_estimate_is_layer_based_and_resin_includes_supports_and_pad(self):
        quote = self.line.odm_quote_id
        lines = {item["code"]: item for item in quote.result["breakdown"]}
        self.assertIn("layer by layer, profile SL1S", lines["machine_time"]["formula"])
        self.assertIn("pad_ml", lines["material"]["inputs"])
        ranges = quote._odm_estimate()["ranges"]
        self.assertEqual(ranges["material_g"]["basis"], "benchmark")

    def test_sliced_breakdown_names_the_resin_the_slicer_measured(self):
        self.run_slice(self.line)
        quote = self.line.odm_quote_id
        resin = quote.parameters["slice"]["resin_g"]
        self.assertIn("measured by PrusaSlicer", quote.breakdown_html)
        self.assertIn(f"{resin:.1f} g per part", quote.breakdown_html)
        self.assertIn(f"{resin:.1f} g per part", self.line.odm_precise_message)

    def test_part_too_large_for_the_resin_printer_keeps_the_estimate(self):
        # 110 mm both ways fits the Form 4 machine type, not the SL1S's 127 x 80 mm display.
        cart = self.cart(self.bob, {"tray.stl": box_stl(110, 110, 10)}, 2)
        line = cart.order_line
        instant = line.price_unit
        self.run_slice(line)
        self.assertEqual(line.odm_precise_state, "failed")
        self.assertIn("Slicing failed, the estimate stays:", line.odm_precise_message)
        self.assertIn("SL1S", line.odm_precise_message)
        self.assertEqual(line.price_unit, instant)
        self.assertEqual(line.odm_estimate_source, "estimated")


class TestSlaApiEstimateSource(TestApiEstimateSource):
    process_code = "SLA"
    printer = "SL1S"
