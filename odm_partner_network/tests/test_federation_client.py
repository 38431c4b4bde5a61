"""The federation client against small local HTTP servers: what it sends, how it fails.

An offline partner, one that does not answer in time, a 5xx and an answer that is not the API's
JSON are ``PartnerUnavailable`` (the offload tries the next partner); a 429 is ``PartnerBusy``
(a kind of unavailability) and the peer is left alone for its Retry-After; another 4xx is
``PartnerRefused`` with the partner's error code.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import fields
from odoo.tests import BaseCase, TransactionCase, tagged

from odm_engine.network import signing
from odm_engine.network.federation_client import (
    FederationClient,
    PartnerBusy,
    PartnerRefused,
    PartnerUnavailable,
)

SECRET = "client-test-secret"


class ScriptedPartner(BaseHTTPRequestHandler):
    """Answers with the server's ``answer`` (status, content type, body) and keeps the request,
    after checking its signature the way a partner does."""

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            signing.verify(
                lambda key_id: SECRET if key_id == "shop" else None,
                self.command,
                self.path,
                dict(self.headers.items()),
                body,
                now=time.time(),
                nonce_store=self.server.nonces,
            )
            self.server.received.append((self.command, self.path, dict(self.headers), body))
            status, content_type, answer, *headers = self.server.answer
        except signing.SignatureError as error:
            status, content_type, headers = 401, "application/json", []
            answer = json.dumps({"error": {"code": error.code, "message": error.message}})
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.encode())

    do_GET = do_POST = _handle

    def log_message(self, *args):
        """Quiet: the test says what went wrong."""


THROTTLED = '{"error": {"code": "too_many_requests", "message": "Too many requests."}}'


class ScriptedPartnerMixin:
    def setUp(self):
        super().setUp()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedPartner)
        self.server.nonces = signing.MemoryNonceStore()
        self.server.received = []
        self.server.answer = (200, "application/json", '{"ok": true}')
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)


@tagged("post_install", "-at_install")
class TestFederationClient(ScriptedPartnerMixin, BaseCase):
    def client(self, base_url=None, timeout_s=5):
        url = base_url or f"http://127.0.0.1:{self.server.server_port}"
        return FederationClient(url, "shop", SECRET, "api-key-0123", timeout_s=timeout_s)

    def test_sends_signed_json_with_the_api_key_and_idempotency_key(self):
        answer = self.client().place_order({"po_ref": "P1"}, "idem-key-0123456789")
        self.assertEqual(answer, {"ok": True})
        ((method, path, headers, body),) = self.server.received
        self.assertEqual((method, path), ("POST", "/odm/federation/v1/orders"))
        self.assertEqual(headers["Authorization"], "Bearer api-key-0123")
        self.assertEqual(headers["Idempotency-Key"], "idem-key-0123456789")
        self.assertEqual(json.loads(body), {"po_ref": "P1"})
        self.client().order_status("S 00/1")
        self.assertEqual(self.server.received[1][1], "/odm/federation/v1/orders/S%2000%2F1")

    def test_refusal_carries_the_partners_code(self):
        self.server.answer = (422, "application/json", '{"error": {"code": "x", "message": "no"}}')
        with self.assertRaises(PartnerRefused) as refused:
            self.client().request_quote({})
        self.assertEqual((refused.exception.status, refused.exception.code), (422, "x"))

    def test_server_errors_and_foreign_answers_are_unavailability(self):
        for answer in (
            (500, "text/html", "<h1>oops</h1>"),
            (200, "text/html", "<html>a login page</html>"),
            (200, "application/json", "[1, 2]"),
        ):
            with self.subTest(answer=answer):
                self.server.answer = answer
                with self.assertRaises(PartnerUnavailable):
                    self.client().capacity()

    def test_offline_partner_is_unavailable(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with self.assertRaisesRegex(PartnerUnavailable, f"127.0.0.1:{port}"):
            self.client(f"http://127.0.0.1:{port}").capacity()

    def test_silent_partner_times_out(self):
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            with self.assertRaisesRegex(PartnerUnavailable, "no answer within 0.3 s"):
                self.client(url, timeout_s=0.3).capacity()

    def test_bad_idempotency_key_is_refused_before_sending(self):
        with self.assertRaises(ValueError):
            self.client().place_order({}, "short")
        self.assertEqual(self.server.received, [])

    def test_throttling_partner_says_how_long_to_wait(self):
        for retry_after, seconds in (("120", 120), (None, 60), ("soon", 60), ("999999", 86400)):
            with self.subTest(retry_after=retry_after):
                headers = [("Retry-After", retry_after)] if retry_after else []
                self.server.answer = (429, "application/json", THROTTLED, *headers)
                with self.assertRaises(PartnerBusy) as busy:
                    self.client().capacity()
                self.assertEqual(busy.exception.retry_after_s, seconds)
                self.assertIsInstance(busy.exception, PartnerUnavailable, "try another partner")


@tagged("post_install", "-at_install")
class TestThrottledPeer(ScriptedPartnerMixin, TransactionCase):
    """A peer that answered 429 is not called again before its Retry-After has passed."""

    def call_refused(self, peer):
        try:
            peer._odm_call("capacity")
        except PartnerBusy as busy:
            return busy
        raise AssertionError("the call went through")

    def test_peer_waits_as_asked(self):
        peer = self.env["odm.federation.peer"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Busy Shop"}).id,
                "base_url": f"http://127.0.0.1:{self.server.server_port}",
                "key_id": "shop",
                "secret": SECRET,
                "remote_api_key": "api-key-0123",
            }
        )
        self.server.answer = (429, "application/json", THROTTLED, ("Retry-After", "300"))
        # Not assertRaises: it rolls back what the call wrote, as a caller that goes on does not.
        busy = self.call_refused(peer)
        self.assertEqual(busy.retry_after_s, 300)
        self.assertEqual(len(self.server.received), 1)
        wait = (peer.busy_until - fields.Datetime.now()).total_seconds()
        self.assertAlmostEqual(wait, 300, delta=5)
        self.assertNotEqual(peer.state, "offline", "it answered: it is throttling, not down")
        self.assertIn("Busy Shop asked us to wait until", str(self.call_refused(peer)))
        self.assertEqual(len(self.server.received), 1, "nothing sent while it asked us to wait")
        peer.busy_until = fields.Datetime.now()
        self.server.answer = (200, "application/json", '{"ok": true}')
        self.assertEqual(peer._odm_call("capacity"), {"ok": True})
        self.assertEqual(len(self.server.received), 2)
