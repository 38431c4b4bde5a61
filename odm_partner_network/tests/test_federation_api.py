"""The federation API over real HTTP (Odoo's test server): what it accepts and what it refuses.

Every refusal is checked to leave nothing behind: no sales order, manufacturing order, part,
quote, attachment or idempotency record more than before the request. (A refused request's
nonce is kept on purpose, on a cursor of its own: test_federation_two_shops checks it against
a real server, which HttpCase's shared test cursor cannot show.) The handlers run as the
peer's portal user: the tests below check that record rules, not hand-written filters, decide
what a partner reaches, and that no route gives away our cost parameters.
"""

import base64
import json
from datetime import timedelta

import requests

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.odm_quote.tests.common import box_stl

from odm_engine.network import signing
from odm_engine.network.federation_client import API_PREFIX, FederationClient, PartnerRefused

from ..models.odm_federation_api import FederationError
from ..models.odm_federation_peer import API_KEY_SCOPE

SECRET = "test-shared-secret-0123456789"


def bound_session(case):
    """A requests session for ``case``'s test server, bound to its database (the server may
    serve several), closed when the test ends."""
    session = requests.Session()
    session.get(
        f"{case.base_url()}/web/login",
        params={"db": case.env.cr.dbname},
        allow_redirects=False,
        timeout=30,
    )
    case.addCleanup(session.close)
    return session


def connect_peer(env, partner, key_id, secret, *, base_url, database=None):
    """Our peer record of ``partner`` and the API key it calls us with."""
    peer = env["odm.federation.peer"].create(
        {
            "partner_id": partner.id,
            "base_url": base_url,
            "database": database,
            "key_id": key_id,
            "secret": secret,
        }
    )
    return peer, peer._odm_issue_api_key()


def part_payload(data, filename="bracket.stl"):
    return {"filename": filename, "file_base64": base64.b64encode(data).decode()}


@tagged("post_install", "-at_install")
class TestFederationApi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        cls.pla = cls.env.ref("odm_quote.material_pla")
        cls.client_shop = cls.env["res.partner"].create({"name": "Client Shop", "is_company": True})
        cls.other_shop = cls.env["res.partner"].create({"name": "Other Shop", "is_company": True})
        base_url = cls.base_url()
        database = cls.env.cr.dbname
        cls.peer, cls.api_key = connect_peer(
            cls.env, cls.client_shop, "client-shop", SECRET, base_url=base_url, database=database
        )
        cls.other_peer, cls.other_key = connect_peer(
            cls.env,
            cls.other_shop,
            "other-shop",
            SECRET + "-other",
            base_url=base_url,
            database=database,
        )
        cls.stl = box_stl(30, 20, 10)

    def setUp(self):
        super().setUp()
        self.http = bound_session(self)

    # ------------------------------------------------------------------ helpers
    def client(self, peer=None, api_key=None):
        peer = peer or self.peer
        return FederationClient(
            self.base_url(),
            peer.key_id,
            peer.sudo().secret,
            api_key or self.api_key,
            timeout_s=60,
            database=self.env.cr.dbname,
        )

    def send(self, method, route, body=b"", *, key_id="client-shop", secret=SECRET, **options):
        """A raw request, signed as given (or not at all with ``headers`` given)."""
        path = f"{API_PREFIX}/{route}"
        headers = options.get("headers") or signing.sign(secret, method, path, body, key_id=key_id)
        headers = {
            **headers,
            "Authorization": f"Bearer {options.get('api_key', self.api_key)}",
            "Content-Type": "application/json",
            **options.get("extra", {}),
        }
        return self.http.request(
            method, self.base_url() + path, data=body, headers=headers, timeout=60
        )

    def order_payload(self, po_ref="PO-TEST-1", quantity=2):
        return {
            "po_ref": po_ref,
            "lines": [
                {
                    "reference": "bracket",
                    "process": self.fdm.code,
                    "material": self.pla.code,
                    "quantity": quantity,
                    "part": part_payload(self.stl),
                }
            ],
        }

    def counts(self):
        """How many records a refused request must not have added."""
        return {
            model: self.env[model].sudo().search_count([])
            for model in (
                "sale.order",
                "mrp.production",
                "odm.part",
                "odm.part.quote",
                "ir.attachment",
                "odm.federation.idempotency",
            )
        }

    def assertRefused(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"]["code"], code, response.text)

    # ------------------------------------------------------------------ accepted requests
    def test_capacity_reports_free_hours_of_the_last_plan(self):
        machine = self.env["odm.machine"].search([("process_id", "=", self.fdm.id)], limit=1)
        self.assertTrue(machine, "the demo data has FDM machines")
        today = self.env.cr.now().date()
        self.env["odm.workcenter.load"].search([("date", ">=", today)]).unlink()
        self.env["odm.workcenter.load"].create(
            [
                {
                    "workcenter_id": machine.workcenter_id.id,
                    "date": today,
                    "capacity_hours": 8,
                    "load_hours": 8,
                },
                {
                    "workcenter_id": machine.workcenter_id.id,
                    "date": today + timedelta(days=1),
                    "capacity_hours": 8,
                    "load_hours": 2,
                },
            ]
        )
        answer = self.client().capacity()
        (fdm,) = answer["processes"]
        self.assertEqual(fdm["process"], self.fdm.code)
        self.assertEqual(fdm["free_hours_per_day"], 3.0)
        self.assertEqual([day["free_hours"] for day in fdm["days"]], [0.0, 6.0])
        self.assertEqual(fdm["next_free_date"], fdm["days"][1]["date"])

    def test_rfq_with_the_file_prices_and_keeps_the_clients_part(self):
        answer = self.client().request_quote(
            {
                "reference": "bracket",
                "process": self.fdm.code,
                "material": self.pla.code,
                "quantity": 10,
                "part": part_payload(self.stl),
            }
        )
        quote = self.env["odm.part.quote"].browse(answer["quote_id"])
        self.assertEqual(quote.part_id.partner_id, self.client_shop)
        self.assertAlmostEqual(answer["unit_price"], quote.unit_price, places=2)
        self.assertGreater(answer["unit_price"], 0)
        self.assertEqual(answer["quantity"], 10)

    def test_rfq_with_metrics_only_stores_nothing(self):
        part = self.env["odm.part"].from_upload(self.stl, "ours.stl")
        before = self.counts()
        answer = self.client().request_quote(
            {
                "process": self.fdm.code,
                "quantity": 10,
                "part": {"name": "bracket", "metrics": part.analysis},
            }
        )
        self.assertIsNone(answer["quote_id"])
        self.assertGreater(answer["unit_price"], 0)
        self.assertEqual(answer["material"], self.fdm.default_material_id.code)
        self.assertEqual(self.counts(), before)

    def test_order_makes_a_confirmed_sales_order_and_its_production(self):
        answer = self.client().place_order(self.order_payload(), "order-key-0000000001")
        order = self.env["sale.order"].search([("name", "=", answer["order_ref"])])
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_id, self.client_shop)
        self.assertEqual(order.odm_network_client_id, self.peer)
        self.assertEqual(order.odm_network_po_ref, "PO-TEST-1")
        self.assertEqual(order.odm_network_state, "accepted")
        self.assertTrue(order.order_line._odm_productions(), "odm_mrp made the MO")
        self.assertEqual(answer["state"], "accepted")
        self.assertEqual(answer["productions"][0]["ref"], order.order_line._odm_productions().name)
        status = self.client().order_status(order.name)
        self.assertEqual(status["order_ref"], order.name)

    def test_order_placement_is_idempotent(self):
        client = self.client()
        first = client.place_order(self.order_payload(), "order-key-0000000002")
        again = client.place_order(self.order_payload(), "order-key-0000000002")
        self.assertEqual(again, first)
        self.assertEqual(
            self.env["sale.order"].search_count([("odm_network_po_ref", "=", "PO-TEST-1")]), 1
        )
        before = self.counts()
        with self.assertRaises(PartnerRefused) as refused:
            client.place_order(self.order_payload(quantity=3), "order-key-0000000002")
        self.assertEqual(
            (refused.exception.status, refused.exception.code), (409, "idempotency_conflict")
        )
        self.assertEqual(self.counts(), before)

    def test_status_callback_updates_our_purchase_order(self):
        purchase = self.env["purchase.order"].create(
            {
                "partner_id": self.client_shop.id,
                "order_line": [
                    (0, 0, {"product_id": self.env.ref("odm_quote.product_custom_part").id})
                ],
            }
        )
        client = self.client()
        client.post_status(
            {
                "po_ref": purchase.name,
                "order_ref": "S-REMOTE",
                "state": "shipped",
                "tracking_ref": "TRACK-42",
                "carrier": "Post",
            }
        )
        answer = client.post_status({"po_ref": purchase.name, "state": "accepted"})
        self.assertEqual(answer["state"], "shipped", "a late callback never goes back")
        purchase.invalidate_recordset()
        self.assertRecordValues(
            purchase,
            [
                {
                    "odm_remote_state": "shipped",
                    "odm_remote_ref": "S-REMOTE",
                    "odm_tracking_ref": "TRACK-42",
                }
            ],
        )
        self.assertIn("TRACK-42", " ".join(purchase.message_ids.mapped("body")))
        # Another shop cannot touch it.
        with self.assertRaises(PartnerRefused) as refused:
            self.client(self.other_peer, self.other_key).post_status(
                {"po_ref": purchase.name, "state": "accepted"}
            )
        self.assertEqual(refused.exception.status, 404)

    def test_only_network_managers_issue_api_keys(self):
        user = new_test_user(
            self.env,
            login="network-user",
            groups="base.group_user,odm_partner_network.group_odm_network_user",
        )
        with self.assertRaises(AccessError):
            self.peer.with_user(user).action_odm_issue_api_key()
        action = self.peer.action_odm_issue_api_key()
        key = action["params"]["message"].split()[0]
        self.assertEqual(
            self.env["res.users.apikeys"]._check_credentials(scope=API_KEY_SCOPE, key=key),
            self.peer.local_user_id.id,
        )
        self.assertEqual(self.peer.local_user_id.commercial_partner_id, self.client_shop)
        self.assertTrue(self.peer.local_user_id.has_group("base.group_portal"))

    # ------------------------------------------------------------------ refused requests
    def test_forged_signature_is_refused(self):
        before = self.counts()
        body = json.dumps(self.order_payload()).encode()
        response = self.send(
            "POST", "orders", body, secret="guessed", extra={"Idempotency-Key": "k" * 20}
        )
        self.assertRefused(response, 401, "bad_signature")
        self.assertEqual(self.counts(), before)

    def test_wrong_api_key_is_refused(self):
        before = self.counts()
        response = self.send("GET", "capacity", api_key="0" * 40)
        self.assertRefused(response, 401, "bad_api_key")
        response = self.send("GET", "capacity", api_key="")
        self.assertRefused(response, 401, "missing_api_key")
        # A valid key of another shop with our signature: the two must belong together.
        response = self.send("GET", "capacity", api_key=self.other_key)
        self.assertRefused(response, 401, "key_mismatch")
        self.assertEqual(self.counts(), before)

    def test_replayed_request_is_refused(self):
        body = json.dumps(self.order_payload()).encode()
        path = f"{API_PREFIX}/orders"
        headers = signing.sign(SECRET, "POST", path, body, key_id="client-shop")
        extra = {"Idempotency-Key": "order-key-0000000003"}
        first = self.send("POST", "orders", body, headers=headers, extra=extra)
        self.assertEqual(first.status_code, 201, first.text)
        before = self.counts()
        replay = self.send("POST", "orders", body, headers=headers, extra=extra)
        self.assertRefused(replay, 401, "replayed_nonce")
        self.assertEqual(self.counts(), before)

    def test_stale_request_is_refused(self):
        path = f"{API_PREFIX}/capacity"
        headers = signing.sign(SECRET, "GET", path, b"", key_id="client-shop", timestamp=1)
        self.assertRefused(self.send("GET", "capacity", headers=headers), 401, "stale_timestamp")

    def test_oversized_body_is_refused(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "odm_partner_network.federation_max_body_bytes", 4096
        )
        before = self.counts()
        body = json.dumps(self.order_payload()).encode() + b" " * 4096
        response = self.send("POST", "orders", body, extra={"Idempotency-Key": "k" * 20})
        self.assertRefused(response, 413, "body_too_large")
        self.assertEqual(self.counts(), before)

    def test_malformed_payloads_are_refused_and_leave_nothing(self):
        before = self.counts()
        key = {"Idempotency-Key": "order-key-0000000004"}
        self.assertRefused(
            self.send("POST", "orders", b"{not json", extra=key), 422, "malformed_json"
        )
        self.assertRefused(self.send("POST", "orders", b"[1, 2]", extra=key), 422, "bad_payload")
        no_key = json.dumps(self.order_payload()).encode()
        self.assertRefused(self.send("POST", "orders", no_key), 422, "bad_idempotency_key")
        unknown = self.order_payload()
        unknown["lines"][0]["process"] = "NO-SUCH-PROCESS"
        response = self.send("POST", "orders", json.dumps(unknown).encode(), extra=key)
        self.assertRefused(response, 422, "unknown_process")
        # The first line is fine, the second is not a part: no order, no part of either.
        half = self.order_payload()
        half["lines"].append({**half["lines"][0], "part": part_payload(b"solid nothing", "x.stl")})
        response = self.send("POST", "orders", json.dumps(half).encode(), extra=key)
        self.assertRefused(response, 422, "refused")
        bad_metrics = {"process": self.fdm.code, "quantity": 1, "part": {"metrics": {"a": 1}}}
        response = self.send("POST", "rfq", json.dumps(bad_metrics).encode())
        self.assertRefused(response, 422, "bad_metrics")
        self.assertEqual(self.counts(), before)

    def test_another_shops_order_is_not_found(self):
        """Asked by another shop, an order is 404 exactly as one that does not exist, and that
        shop's user does not see it at all: the portal rule, not only the API's filter."""
        answer = self.client().place_order(
            self.order_payload(po_ref="PO-CONFIDENTIAL-77"), "order-key-0000000005"
        )
        before = self.counts()
        other = {"key_id": "other-shop", "secret": SECRET + "-other", "api_key": self.other_key}
        theirs = self.send("GET", f"orders/{answer['order_ref']}", **other)
        missing = self.send("GET", "orders/S-NO-SUCH-ORDER", **other)
        self.assertRefused(theirs, 404, "not_found")
        self.assertRefused(missing, 404, "not_found")
        self.assertNotIn("PO-CONFIDENTIAL-77", theirs.text)
        self.assertEqual(
            theirs.json()["error"]["message"].replace(answer["order_ref"], "S-NO-SUCH-ORDER"),
            missing.json()["error"]["message"],
        )
        self.assertEqual(self.counts(), before)
        # Even asked for the first shop's orders, the other shop's user reaches none of them.
        other_user = self.other_peer.local_user_id
        with self.assertRaises(FederationError) as refused:
            self.env["odm.federation.api"].with_user(other_user)._odm_order(
                self.peer.sudo(), answer["order_ref"]
            )
        self.assertEqual(refused.exception.status, 404)
        self.assertFalse(
            self.env["sale.order"]
            .with_user(other_user)
            .search([("odm_network_client_id", "!=", False)])
        )

    def test_orders_are_read_under_the_peers_record_rules(self):
        """What a shop reaches is what Odoo's portal rule gives its user: once its company no
        longer follows an order it placed, the order is not found for it any more."""
        answer = self.client().place_order(self.order_payload(), "order-key-0000000006")
        order = self.env["sale.order"].search([("name", "=", answer["order_ref"])])
        self.assertEqual(self.client().order_status(order.name)["order_ref"], order.name)
        shop_contacts = order.message_partner_ids.filtered(
            lambda partner: partner.commercial_partner_id == self.client_shop
        )
        self.assertTrue(shop_contacts, "the shop follows its order, as portal customers do")
        order.message_unsubscribe(partner_ids=shop_contacts.ids)
        self.env.flush_all()
        with self.assertRaises(PartnerRefused) as refused:
            self.client().order_status(order.name)
        self.assertEqual((refused.exception.status, refused.exception.code), (404, "not_found"))

    def test_no_route_gives_away_our_cost_tables(self):
        """Prices, never what they are made of: no answer of any route carries a rate, price
        per kg, margin or discount of our cost tables, and the shop's user can read neither a
        quote's frozen parameters nor our machine rates."""
        purchase = self.env["purchase.order"].create(
            {
                "partner_id": self.client_shop.id,
                "order_line": [
                    (0, 0, {"product_id": self.env.ref("odm_quote.product_custom_part").id})
                ],
            }
        )
        client = self.client()
        quote_answer = client.request_quote(
            {"process": self.fdm.code, "quantity": 5, "part": part_payload(self.stl)}
        )
        placed = client.place_order(self.order_payload(), "order-key-0000000007")
        answers = {
            "capacity": client.capacity(),
            "rfq": quote_answer,
            "orders": placed,
            "orders/<ref>": client.order_status(placed["order_ref"]),
            "status": client.post_status({"po_ref": purchase.name, "state": "accepted"}),
        }
        quote = self.env["odm.part.quote"].browse(quote_answer["quote_id"])
        cost_keys = {"parameters", "breakdown", "margins", "quantity_breaks"} | {
            key
            for key in _keys(quote.parameters)
            if any(word in key for word in ("rate", "price_per", "markup", "minimum", "discount"))
        }
        self.assertIn("rate_per_hour", cost_keys)
        for route, answer in answers.items():
            with self.subTest(route=route):
                self.assertFalse(_keys(answer) & cost_keys)
        user = self.peer.local_user_id
        with self.assertRaises(AccessError):
            quote.with_user(user).read(["parameters"])
        for model in (
            "odm.machine.type",
            "odm.margin",
            "odm.quantity.break",
            "odm.workcenter.load",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(user).search([])

    def test_option_refusals_name_the_field_as_the_quote_api_does(self):
        """One resolver (odm.request.options) and one envelope: 422 {code, field, message}."""
        self.env.company.odm_max_quantity = 500
        self.env.flush_all()  # the raw requests below do not flush as url_open does
        aluminium = self.env["odm.material"].search([("process_ids", "not in", self.fdm.ids)])[:1]
        before = self.counts()
        rfq = {"process": self.fdm.code, "quantity": 1, "part": part_payload(self.stl)}
        for change, code, field in (
            ({"material": aluminium.code}, "material_not_offered", "material"),
            ({"quantity": 501}, "bad_quantity", "quantity"),
            ({"quantity": "many"}, "bad_quantity", "quantity"),
            ({"finish": "NO-SUCH-FINISH"}, "unknown_finish", "finish"),
        ):
            with self.subTest(change=change):
                response = self.send("POST", "rfq", json.dumps({**rfq, **change}).encode())
                self.assertRefused(response, 422, code)
                error = response.json()["error"]
                self.assertEqual(set(error), {"code", "field", "message"})
                self.assertEqual(error["field"], field)
        # An order whose second line asks for a material its process does not run: nothing
        # is written, and the field says which line.
        order = self.order_payload()
        order["lines"].append({**order["lines"][0], "material": aluminium.code})
        response = self.send(
            "POST",
            "orders",
            json.dumps(order).encode(),
            extra={"Idempotency-Key": "order-key-0000000042"},
        )
        self.assertRefused(response, 422, "material_not_offered")
        self.assertEqual(response.json()["error"]["field"], "lines[1].material")
        self.assertIn(f"{aluminium.name} is not made with", response.json()["error"]["message"])
        self.assertEqual(self.counts(), before)


def _keys(value):
    """Every key of the dictionaries in a JSON value, at any depth."""
    if isinstance(value, dict):
        return set(value).union(*map(_keys, value.values()))
    if isinstance(value, list):
        return set().union(*map(_keys, value))
    return set()
