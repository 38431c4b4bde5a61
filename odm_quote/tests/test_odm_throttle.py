"""Throttling over real HTTP: the portal's visitors and customers and the quote API are
refused with 429 past their limits, before anything is analysed or stored; the counters are
PostgreSQL rows committed on their own connection."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace

from odoo import fields, http
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.odm_request_quota import QuotaExceededError, QuotaLimits, count_request
from .common import QuotaCounters, box_stl, zipped
from .test_odm_portal import BROKEN_STL, PortalCase

API_URL = "/odm/api/v1/quote"


class ThrottleCase(QuotaCounters, PortalCase):
    def setUp(self):
        super().setUp()
        self.fresh_quota("visitor", "127.0.0.1")  # the test server's clients
        self.fresh_quota("customer", self.acme.id)
        self.fresh_quota("customer", self.globex.id)

    def assertThrottled(self, response, message, longest_wait=60):
        """HTTP 429 with Retry-After (seconds, at most ``longest_wait``) and the message."""
        self.assertEqual(response.status_code, 429, response.text[:300])
        self.assertTrue(1 <= int(response.headers["Retry-After"]) <= longest_wait)
        self.assertIn(message, response.text)


@tagged("post_install", "-at_install")
class TestPortalThrottle(ThrottleCase):
    def test_visitor_requests_are_limited_per_address(self):
        self.env.company.write({"odm_public_upload": True, "odm_visitor_requests_per_minute": 2})
        self.authenticate(None, None)
        for _request in range(2):
            self.assertEqual(self.upload({"a.stl": box_stl(20, 20, 20)}).status_code, 200)
        before = self.stored()
        response = self.upload({"a.stl": box_stl(20, 20, 20)})
        self.assertThrottled(response, "Too many requests: 2 per minute are allowed")
        self.assertNotIn("o_odm_priced_part", response.text, "nothing was priced")
        self.assertEqual(self.stored(), before)
        self.assertEqual(self.quota("visitor", "127.0.0.1")[:2], (3, 2), "refused: no parts")
        # Another subject, a logged-in customer from the same address, is not affected.
        self.login(self.ada)
        self.assertEqual(self.upload({"a.stl": box_stl(20, 20, 20)}).status_code, 200)
        # A new minute: the visitor may quote again.
        self.authenticate(None, None)
        self.end_minute("visitor", "127.0.0.1")
        self.assertEqual(self.upload({"a.stl": box_stl(20, 20, 20)}).status_code, 200)
        self.assertEqual(self.quota("visitor", "127.0.0.1")[:2], (1, 1))

    def test_visitor_parts_are_counted_inside_archives_before_analysis(self):
        self.env.company.write({"odm_public_upload": True, "odm_visitor_parts_per_minute": 3})
        self.authenticate(None, None)
        # Broken files: were they analysed, the answer would be a 422 naming them.
        archive = zipped({f"p{index}.stl": BROKEN_STL for index in range(4)})
        response = self.upload({"four.zip": archive})
        self.assertThrottled(
            response, "This request holds 4 part files, more than the 3 allowed per minute"
        )
        self.assertNotIn("p0.stl", response.text)
        self.assertEqual(
            self.upload({"a.zip": zipped({"a.stl": box_stl(9, 9, 9)})}).status_code, 200
        )
        response = self.upload(
            {"b.zip": zipped({f"b{index}.stl": BROKEN_STL for index in range(3)})}
        )
        self.assertThrottled(response, "Too many part files: 3 per minute are allowed")
        self.assertEqual(self.quota("visitor", "127.0.0.1"), (3, 1, 0.0))

    def test_customer_company_is_limited_and_nothing_is_stored(self):
        self.env.company.odm_customer_requests_per_minute = 2
        self.login(self.ada)
        self.assertEqual(self.upload({"a.stl": box_stl(20, 20, 20)}).status_code, 200)
        self.login(self.bob)  # a colleague: the same company, the same counters
        self.assertEqual(self.upload({"b.stl": box_stl(20, 20, 21)}).status_code, 200)
        before = self.stored()
        response = self.upload({"c.stl": box_stl(20, 20, 22)})
        self.assertThrottled(response, "Too many requests: 2 per minute are allowed")
        self.assertEqual(self.stored(), before)
        # Re-pricing a cart line counts too, and is refused without a change.
        line = self.cart(self.bob).order_line
        response = self.post(f"/odm/quote/line/{line.id}", {"quantity": "50"})
        self.assertThrottled(response, "Too many requests")
        line.invalidate_recordset()
        self.assertEqual(line.product_uom_qty, 10)
        # So does ordering a part again.
        response = self.post(f"/my/parts/{line.odm_part_id.id}/order")
        self.assertThrottled(response, "Too many requests")
        self.assertEqual(len(self.cart(self.bob).order_line), 1)
        self.assertEqual(self.quota("customer", self.acme.id)[:2], (5, 2))
        # Another company is not affected.
        self.login(self.eve)
        self.assertEqual(self.upload({"e.stl": box_stl(20, 20, 20)}).status_code, 200)
        # A new minute: Acme may quote again.
        self.end_minute("customer", self.acme.id)
        self.login(self.bob)
        response = self.post(f"/odm/quote/line/{line.id}", {"quantity": "50"})
        self.assertEqual(response.status_code, 303)
        line.invalidate_recordset()
        self.assertEqual(line.product_uom_qty, 50)

    def test_every_change_of_a_cart_line_is_throttled(self):
        self.env.company.odm_customer_requests_per_minute = 1
        self.login(self.bob)
        self.assertEqual(self.upload({"a.stl": box_stl(20, 20, 20)}).status_code, 200)
        line = self.cart(self.bob).order_line
        for url, form in (
            (f"/odm/quote/line/{line.id}", {"quantity": "50"}),
            (
                f"/odm/quote/line/{line.id}/specification",
                {"thread_size": "M3", "thread_count": "4"},
            ),
        ):
            self.assertThrottled(self.post(url, form), "Too many requests")
        line.invalidate_recordset()
        self.assertEqual(line.product_uom_qty, 10)
        self.assertFalse(line.odm_specification_ids, "refused without a change")

    def test_customer_storage_is_limited_per_day(self):
        self.env.company.odm_customer_mb_per_day = 1
        self.login(self.ada)
        stl = box_stl(20, 20, 20)
        self.assertEqual(self.upload({"a.stl": stl}).status_code, 200)
        self.assertAlmostEqual(self.quota("customer", self.acme.id)[2], len(stl) / 2**20)
        self.use_day("customer", self.acme.id, 1.0)
        before = self.stored()
        response = self.upload({"b.stl": box_stl(20, 20, 21)})
        self.assertThrottled(
            response, "The 1 MB of files that may be stored per day are used up", 86400
        )
        self.assertEqual(self.stored(), before)
        # The day's window does not end with the minute.
        self.end_minute("customer", self.acme.id)
        self.assertEqual(self.upload({"b.stl": box_stl(20, 20, 21)}).status_code, 429)

    def test_zero_is_unlimited(self):
        self.env.company.write(
            {"odm_customer_requests_per_minute": 0, "odm_customer_parts_per_minute": 0}
        )
        self.login(self.ada)
        archive = zipped({f"p{index}.stl": box_stl(10 + index, 10, 10) for index in range(3)})
        for _request in range(3):
            self.assertEqual(self.upload({"parts.zip": archive}).status_code, 200)
        self.assertEqual(self.quota("customer", self.acme.id)[:2], (3, 9))


@tagged("post_install", "-at_install")
class TestApiThrottle(ThrottleCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        expiry = fields.Datetime.now() + timedelta(hours=12)
        cls.api_users = {}
        for company, login in ((cls.acme, "odm_api_acme"), (cls.globex, "odm_api_globex")):
            contact = cls.env["res.partner"].create({"name": login, "parent_id": company.id})
            user = new_test_user(
                cls.env, login=login, groups="base.group_portal", partner_id=contact.id
            )
            cls.api_users[company] = (
                cls.env["res.users.apikeys"].with_user(user)._generate(None, "shop", expiry)
            )

    def quote(self, company, data):
        return self.url_open(
            API_URL,
            data={"process": "FDM", "quantity": "5"},
            files={"file": ("part.stl", data)},
            headers={"Authorization": f"Bearer {self.api_users[company]}"},
        )

    def test_api_key_shares_its_company_quota_and_gets_json(self):
        self.env.company.odm_customer_requests_per_minute = 2
        self.assertEqual(self.quote(self.acme, box_stl(20, 20, 20)).status_code, 200)
        # A refused request's transaction is rolled back, its count is not.
        self.assertEqual(self.quote(self.acme, BROKEN_STL).status_code, 422)
        self.assertEqual(self.quota("customer", self.acme.id)[:2], (2, 2))
        before = self.stored()
        response = self.quote(self.acme, box_stl(20, 20, 21))
        self.assertEqual(response.status_code, 429)
        self.assertTrue(1 <= int(response.headers["Retry-After"]) <= 60)
        error = json.loads(response.text)["error"]
        self.assertEqual(error["code"], "too_many_requests")
        self.assertIn("Too many requests: 2 per minute are allowed", error["message"])
        self.assertEqual(self.stored(), before)
        # Another company is not affected.
        self.assertEqual(self.quote(self.globex, box_stl(20, 20, 20)).status_code, 200)
        # The portal is the same company's quota.
        self.login(self.ada)
        self.assertEqual(self.upload({"a.stl": box_stl(20, 20, 20)}).status_code, 429)
        # A new minute lets Acme in again.
        self.authenticate(None, None)  # the API key alone: no portal session
        self.end_minute("customer", self.acme.id)
        self.assertEqual(self.quote(self.acme, box_stl(20, 20, 21)).status_code, 200)


@tagged("post_install", "-at_install")
class TestQuotaCounters(QuotaCounters, TransactionCase):
    def test_concurrent_requests_are_each_counted_once(self):
        """Eight workers at once on one subject: every request counted, none lost or refused
        for the concurrency, exactly the ones past the limit refused."""
        self.fresh_quota("visitor", "192.0.2.1")
        limits = QuotaLimits(requests_per_minute=25, parts_per_minute=50, mb_per_day=0)

        def one_request(_index):
            return count_request(self.env.cr.dbname, "visitor", "192.0.2.1", limits, parts=1)

        with ThreadPoolExecutor(8) as workers:
            windows = list(workers.map(one_request, range(40)))
        self.assertEqual(sorted(window.requests for window in windows), list(range(1, 41)))
        self.assertEqual([window.exceeded for window in windows].count("requests"), 15)
        self.assertEqual(self.quota("visitor", "192.0.2.1"), (40, 25, 0.0))

    def test_odoos_retry_of_an_admitted_request_is_not_counted_again(self):
        """Odoo serves a request again, with the same ``request`` object, after a serialization
        failure rolled its transaction back; the counters, committed on their own, already
        hold it. Another request of the subject is counted (and refused past the limit)."""
        self.fresh_quota("customer", self.env.company.id)
        self.env.company.sudo().odm_customer_requests_per_minute = 1
        quotas = self.env["odm.request.quota"]
        served = SimpleNamespace()
        http._request_stack.push(served)
        try:
            quotas._odm_admit("customer", self.env.company.id, parts=1)
            quotas._odm_admit("customer", self.env.company.id, parts=1)  # the retry
        finally:
            http._request_stack.pop()
        self.assertEqual(self.quota("customer", self.env.company.id)[:2], (1, 1))
        http._request_stack.push(SimpleNamespace())
        try:
            with self.assertRaises(QuotaExceededError):
                quotas._odm_admit("customer", self.env.company.id, parts=1)
        finally:
            http._request_stack.pop()

    def test_autovacuum_forgets_subjects_whose_windows_are_over(self):
        self.env.cr.execute(
            """
            INSERT INTO odm_request_quota (kind, subject, minute_start, requests, parts,
                                           day_start, stored_mb)
            VALUES ('visitor', '192.0.2.2', now() - interval '2 days', 3, 3,
                    now() - interval '2 days', 0),
                   ('customer', '-1', now() - interval '1 hour', 3, 3,
                    now() - interval '1 hour', 2)
            """
        )
        quotas = self.env["odm.request.quota"]
        quotas._gc_finished_windows()
        left = quotas.search([("subject", "in", ("192.0.2.2", "-1"))])
        self.assertEqual(left.mapped("subject"), ["-1"], "its day is not over")

    def test_limits_cannot_be_negative(self):
        with self.assertRaises(ValidationError):
            self.env.company.odm_visitor_parts_per_minute = -1
        self.env.company.odm_customer_mb_per_day = 0  # unlimited
