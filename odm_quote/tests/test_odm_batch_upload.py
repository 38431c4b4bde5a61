"""Batch uploads keep the good parts: each file is quoted or refused on its own, its reason
next to its name, and nothing of a refused file is stored (portal, staff wizard, quote API)."""

import json
import re
from datetime import timedelta
from unittest.mock import patch

from markupsafe import escape

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import RequestBudget

from .common import PartCase, QuotaCounters, box_stl, zipped
from .test_odm_portal import BROKEN_STL, PortalCase, engine_refusal

GOOD = {f"bracket{index}.stl": box_stl(20 + index, 20, 10) for index in range(4)}
BATCH = {**GOOD, "broken.stl": BROKEN_STL}


def refusal_pattern(filename, reason):
    """The refused file's list entry: its name, then its reason."""
    return (
        rf'data-file-name="{re.escape(filename)}">\s*<strong[^>]*>{re.escape(filename)}</strong>:'
        rf'\s*<span class="o_odm_refusal_reason">{re.escape(str(escape(reason)))}</span>'
    )


def parts_named(env, name):
    return env["odm.part"].search([("name", "=", name)])


@tagged("post_install", "-at_install")
class TestPortalBatch(QuotaCounters, PortalCase):
    def setUp(self):
        super().setUp()
        self.fresh_quota("customer", self.acme.id)
        self.fresh_quota("visitor", "127.0.0.1")

    def test_good_parts_are_quoted_and_the_bad_file_is_listed_with_its_reason(self):
        self.login(self.ada)
        response = self.upload(BATCH)
        self.assertEqual(response.status_code, 200)
        cart = self.cart(self.ada)
        self.assertEqual(sorted(cart.order_line.odm_part_id.mapped("name")), sorted(GOOD))
        self.assertFalse(parts_named(self.env, "broken.stl"), "nothing kept of the bad file")
        html = response.text
        self.assertIn("4 parts priced and added to your cart", html)
        self.assertIn("This file was not quoted:", html)
        self.assertNotIn("Nothing was quoted", html)
        self.assertRegex(
            html, refusal_pattern("broken.stl", engine_refusal(BROKEN_STL, "broken.stl"))
        )
        self.assertEqual(html.count('class="o_odm_refused_file"'), 1)
        for line in cart.order_line:
            self.assertIn(f'id="odm_line_{line.id}"', html)
        # Said once: the next visit of the page no longer lists it.
        self.assertNotIn("o_odm_refused_file", self.url_open("/odm/quote").text)

    def test_a_damaged_archive_and_an_oversize_file_are_refused_alone(self):
        self.env.company.odm_max_upload_mb = 1
        self.login(self.ada)
        response = self.upload(
            {
                "good.stl": box_stl(20, 20, 20),
                "parts.zip": b"PK\x03\x04 not really a zip",
                "huge.stl": b"\0" * (2 * 2**20),
                "more.zip": zipped({"spacer.stl": box_stl(10, 10, 5)}),
            }
        )
        self.assertEqual(response.status_code, 200)
        names = self.cart(self.ada).order_line.odm_part_id.mapped("name")
        self.assertEqual(sorted(names), ["good.stl", "spacer.stl"])
        html = response.text
        self.assertIn("These files were not quoted:", html)
        self.assertRegex(
            html, refusal_pattern("parts.zip", "parts.zip is not a readable zip archive.")
        )
        self.assertRegex(
            html,
            refusal_pattern(
                "huge.stl", "The file is larger than the 1 MB limit for instant quotes."
            ),
        )

    def test_nothing_good_stores_nothing_not_even_a_cart(self):
        self.login(self.ada)
        before = self.stored()
        response = self.upload({"broken.stl": BROKEN_STL, "empty.stl": b""})
        self.assertEqual(response.status_code, 422)
        self.assertRegex(
            response.text, refusal_pattern("broken.stl", engine_refusal(BROKEN_STL, "broken.stl"))
        )
        self.assertIn('data-file-name="empty.stl"', response.text)
        self.assertEqual(self.stored(), before)
        self.assertFalse(self.cart(self.ada))

    def test_the_request_time_budget_refuses_the_files_left_once_spent(self):
        """The request's seconds of analysis are shared: once spent, each file left is refused
        with that reason, and the ones analysed in time are kept."""
        granted = []
        original = RequestBudget.limits_for_next

        def two_files_in_time(budget, limits):
            if len(granted) == 2:
                raise MeshError(errors.TIME_LIMIT, "The upload's files took too long.")
            granted.append(limits)
            return original(budget, limits)

        self.login(self.ada)
        with patch.object(RequestBudget, "limits_for_next", two_files_in_time):
            response = self.upload(GOOD)
        self.assertEqual(len(self.cart(self.ada).order_line), 2)
        self.assertEqual(
            response.text.count("The upload&#39;s files took too long."), 2, "one per file left"
        )

    def test_visitors_get_the_good_prices_and_the_reasons(self):
        self.env.company.odm_public_upload = True
        self.authenticate(None, None)
        before = self.stored()
        response = self.upload(BATCH)
        self.assertEqual(response.status_code, 200)
        html = response.text
        self.assertEqual(html.count('class="card mb-3 o_odm_priced_part"'), 4)
        for name in GOOD:
            self.assertIn(f'data-part-name="{name}"', html)
        self.assertRegex(
            html, refusal_pattern("broken.stl", engine_refusal(BROKEN_STL, "broken.stl"))
        )
        self.assertEqual(self.stored(), before, "a visitor's files are never stored")

    def test_a_throttled_batch_is_still_refused_whole(self):
        self.env.company.odm_customer_parts_per_minute = 3
        self.login(self.ada)
        before = self.stored()
        response = self.upload(BATCH)
        self.assertEqual(response.status_code, 429)
        self.assertIn("This request holds 5 part files, more than the 3 allowed", response.text)
        self.assertNotIn("o_odm_refused_file", response.text)
        self.assertEqual(self.stored(), before)


@tagged("post_install", "-at_install")
class TestWizardBatch(PartCase):
    def test_good_files_become_lines_and_the_bad_one_is_reported(self):
        action = self.upload(BATCH)
        self.assertEqual(sorted(self.order.order_line.odm_part_id.mapped("name")), sorted(GOOD))
        self.assertFalse(parts_named(self.env, "broken.stl"))
        self.assertEqual(action["tag"], "display_notification")
        reason = engine_refusal(BROKEN_STL, "broken.stl")
        self.assertEqual(action["params"]["message"], f"broken.stl: {reason}")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.act_window_close"})

    def test_all_files_refused_adds_nothing_and_says_why(self):
        with self.assertRaisesRegex(UserError, "broken.stl"):
            self.upload({"broken.stl": BROKEN_STL})
        self.assertFalse(self.order.order_line)

    def test_a_clean_batch_just_closes(self):
        self.assertEqual(self.upload(GOOD), {"type": "ir.actions.act_window_close"})
        self.assertEqual(len(self.order.order_line), 4)


@tagged("post_install", "-at_install")
class TestApiBatch(QuotaCounters, PortalCase):
    URL = "/odm/api/v1/quote"

    def setUp(self):
        super().setUp()
        self.fresh_quota("customer", self.acme.id)
        expiry = fields.Datetime.now() + timedelta(hours=12)
        self.key = self.env["res.users.apikeys"].with_user(self.ada)._generate(None, "b", expiry)

    def post(self, files, **options):
        response = self.url_open(
            self.URL,
            data={"process": "FDM", "quantity": "3", **options},
            files=files,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=60,  # a batch is analysed file after file (Odoo's default is 12 s)
        )
        return response.status_code, json.loads(response.text)

    def test_several_files_are_quoted_one_by_one(self):
        status, body = self.post([("files", (name, data)) for name, data in BATCH.items()])
        self.assertEqual(status, 200, body)
        self.assertEqual(sorted(quote["file"] for quote in body["quotes"]), sorted(GOOD))
        self.assertTrue(all(quote["unit_price"] > 0 for quote in body["quotes"]))
        reason = engine_refusal(BROKEN_STL, "broken.stl")
        self.assertEqual(len(body["refused"]), 1)
        self.assertEqual(body["refused"][0]["file"], "broken.stl")
        self.assertEqual(body["refused"][0]["message"], reason)
        self.assertTrue(body["refused"][0]["code"])
        parts = self.env["odm.part"].browse([quote["part_id"] for quote in body["quotes"]])
        self.assertEqual(parts.partner_id, self.acme)
        self.assertFalse(parts_named(self.env, "broken.stl"))

    def test_the_same_file_twice_is_quoted_once(self):
        good = GOOD["bracket0.stl"]
        status, body = self.post(
            [
                ("files", ("bracket.stl", good)),
                ("files", ("bracket copy.stl", good)),
                ("files", ("bundle.zip", zipped({"inner/bracket.stl": good}))),
            ]
        )
        self.assertEqual(status, 200, body)
        self.assertEqual([quote["file"] for quote in body["quotes"]], ["bracket.stl"])
        self.assertEqual(
            [(refusal["file"], refusal["code"]) for refusal in body["refused"]],
            [("bracket copy.stl", "duplicate_file"), ("bracket.stl", "duplicate_file")],
        )
        self.assertEqual(
            body["refused"][0]["message"],
            "the same file as bracket.stl in this upload: change that part's quantity instead.",
        )
        self.assertEqual(len(parts_named(self.env, "bracket copy.stl")), 0)

    def test_an_oversize_file_is_refused_alone_as_the_portal_refuses_it(self):
        self.env.company.odm_max_upload_mb = 1
        status, body = self.post(
            [
                ("files", ("bracket.stl", GOOD["bracket0.stl"])),
                ("files", ("scans/huge.stl", b"\0" * (2 * 2**20))),
            ]
        )
        self.assertEqual(status, 200, body)
        self.assertEqual([quote["file"] for quote in body["quotes"]], ["bracket.stl"])
        self.assertEqual(
            body["refused"],
            [
                {
                    "file": "huge.stl",
                    "code": "file_too_large",
                    "message": "The file is larger than the 1 MB limit for instant quotes.",
                }
            ],
        )

    def test_file_repeated_is_a_batch_too_and_all_refused_is_422(self):
        status, body = self.post(
            [("file", ("broken.stl", BROKEN_STL)), ("file", ("empty.stl", b""))]
        )
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["code"], "refused")
        self.assertEqual(
            [refusal["file"] for refusal in body["refused"]], ["broken.stl", "empty.stl"]
        )
        self.assertFalse(parts_named(self.env, "broken.stl"))

    def test_bad_options_refuse_the_whole_batch(self):
        before = self.env["odm.part"].search_count([])
        status, body = self.post(
            [("files", (name, data)) for name, data in GOOD.items()], material="NOPE"
        )
        self.assertEqual(status, 422)
        self.assertEqual(body["error"]["field"], "material")
        self.assertEqual(self.env["odm.part"].search_count([]), before)


@tagged("post_install", "-at_install", "is_tour")
class TestPortalBatchTour(QuotaCounters, PortalCase):
    def test_mixed_batch_in_the_browser(self):
        self.fresh_quota("customer", self.acme.id)
        self.start_tour("/odm/quote", "odm_portal_batch_tour", login=self.ada.login, timeout=40)
        names = self.cart(self.ada).order_line.odm_part_id.mapped("name")
        self.assertEqual(sorted(names), ["bracket.stl", "lid.stl", "spacer.stl"])
        self.assertFalse(parts_named(self.env, "broken.stl"))
