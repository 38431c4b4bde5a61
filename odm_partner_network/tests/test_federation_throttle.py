"""The federation API's throttling over real HTTP: each peer has its own counters and is
refused with 429 past its limits, before anything is analysed or stored."""

import json

from odoo.tests import HttpCase, tagged

from odoo.addons.odm_quote.tests.common import QuotaCounters, box_stl

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX

from .test_federation_api import SECRET, bound_session, connect_peer, part_payload


@tagged("post_install", "-at_install")
class TestFederationThrottle(QuotaCounters, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        cls.pla = cls.env.ref("odm_quote.material_pla")
        base_url, database = cls.base_url(), cls.env.cr.dbname
        cls.shops = {}
        for name in ("throttled", "other"):
            partner = cls.env["res.partner"].create({"name": f"{name} shop", "is_company": True})
            peer, api_key = connect_peer(
                cls.env, partner, name, SECRET + name, base_url=base_url, database=database
            )
            cls.shops[name] = (peer, api_key)
        cls.peer = cls.shops["throttled"][0]

    def setUp(self):
        super().setUp()
        self.http = bound_session(self)
        for peer, _api_key in self.shops.values():
            self.fresh_quota("peer", peer.id)

    def call(self, route, payload=None, shop="throttled"):
        """A signed call of one of the test's shops: (status, JSON answer, Retry-After)."""
        peer, api_key = self.shops[shop]
        method = "POST" if payload is not None else "GET"
        body = json.dumps(payload).encode() if payload is not None else b""
        path = f"{API_PREFIX}/{route}"
        headers = {
            **signing.sign(SECRET + shop, method, path, body, key_id=peer.key_id),
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            signing.IDEMPOTENCY_HEADER: "throttle-order-0000000001",  # read by orders only
        }
        response = self.http.request(
            method, self.base_url() + path, data=body, headers=headers, timeout=60
        )
        return response.status_code, response.json(), response.headers.get("Retry-After")

    def rfq(self, data=None, shop="throttled", quantity=5):
        return self.call(
            "rfq",
            {
                "process": self.fdm.code,
                "material": self.pla.code,
                "quantity": quantity,
                "part": part_payload(data or box_stl(30, 20, 10)),
            },
            shop,
        )

    def stored(self):
        """How many records a refused call must not have added."""
        env = self.env
        env.invalidate_all()
        return {
            "orders": env["sale.order"].search_count([]),
            "parts": env["odm.part"].search_count([]),
            "quotes": env["odm.part.quote"].search_count([]),
            "files": env["ir.attachment"].search_count([("res_model", "=", "odm.part")]),
        }

    def assertThrottled(self, answer, message, longest_wait=60):
        status, body, retry_after = answer
        self.assertEqual(status, 429, body)
        self.assertTrue(1 <= int(retry_after) <= longest_wait)
        self.assertEqual(body["error"]["code"], "too_many_requests")
        self.assertIn(message, body["error"]["message"])

    def test_each_peer_is_limited_on_its_own_and_nothing_is_stored(self):
        self.env.company.odm_peer_requests_per_minute = 2
        self.assertEqual(self.call("capacity")[0], 200)
        # A refused call's transaction is rolled back, its count is not.
        self.assertEqual(self.rfq(b"solid x\nendsolid x\n")[0], 422)
        self.assertEqual(self.quota("peer", self.peer.id)[:2], (2, 1))
        before = self.stored()
        self.assertThrottled(self.rfq(), "Too many requests: 2 per minute are allowed")
        self.assertEqual(self.stored(), before)
        self.assertEqual(self.rfq(shop="other")[0], 200, "another peer is not affected")
        self.end_minute("peer", self.peer.id)
        self.assertEqual(self.rfq()[0], 200, "a new minute")

    def test_part_files_of_an_order_are_counted_before_analysis(self):
        self.env.company.odm_peer_parts_per_minute = 2
        line = {"process": self.fdm.code, "material": self.pla.code, "quantity": 1}
        lines = [
            {**line, "reference": f"p{index}", "part": part_payload(box_stl(10 + index, 10, 10))}
            for index in range(3)
        ]
        before = self.stored()
        self.assertThrottled(
            self.call("orders", {"po_ref": "PO-THROTTLE", "lines": lines}),
            "This request holds 3 part files, more than the 2 allowed per minute",
        )
        self.assertEqual(self.stored(), before)
        self.assertEqual(self.quota("peer", self.peer.id)[:2], (1, 0))
        self.assertEqual(self.rfq()[0], 200)

    def test_storage_is_limited_per_day_and_metrics_store_nothing(self):
        self.env.company.odm_peer_mb_per_day = 1
        status, answer, _retry_after = self.rfq()
        self.assertEqual(status, 200, answer)
        self.use_day("peer", self.peer.id, 1.0)
        before = self.stored()
        self.assertThrottled(
            self.rfq(box_stl(31, 20, 10)),
            "The 1 MB of files that may be stored per day are used up",
            86400,
        )
        self.assertEqual(self.stored(), before)
        metrics = self.env["odm.part.quote"].browse(answer["quote_id"]).part_id.analysis
        status, _answer, _retry_after = self.call(
            "rfq",
            {"process": self.fdm.code, "quantity": 5, "part": {"name": "m", "metrics": metrics}},
        )
        self.assertEqual(status, 200, "a quote from measurements stores no file")
