"""The nonce table as the signature check's NonceStore: replays refused, expired rows purged.

The store commits its rows on a cursor of its own, which the test's transaction (a snapshot
taken before) does not see: these tests read and purge on cursors of their own too, sign with
key ids of their own and delete their rows when done.
"""

import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from odm_engine.network import signing


@tagged("post_install", "-at_install")
class TestFederationNonce(TransactionCase):
    def setUp(self):
        super().setUp()
        self.key = f"test-{uuid.uuid4().hex}"
        self.other_key = f"{self.key}-other"
        self.addCleanup(self._forget_test_nonces)

    def _committed(self, work):
        """``work(nonce model)`` on a cursor of its own, committed."""
        with self.registry.cursor() as cr:
            return work(api.Environment(cr, SUPERUSER_ID, {})["odm.federation.nonce"])

    def _stored(self):
        """The nonces stored for the test's key, as committed."""
        return self._committed(
            lambda nonces: nonces.search([("key_id", "=", self.key)], order="nonce").mapped("nonce")
        )

    def _forget_test_nonces(self):
        self._committed(
            lambda nonces: nonces.env.cr.execute(
                SQL(
                    "DELETE FROM odm_federation_nonce WHERE key_id IN %s",
                    (self.key, self.other_key),
                )
            )
        )

    def test_nonce_is_accepted_once_until_it_expires(self):
        store = self.env["odm.federation.nonce"]._odm_store()
        now = time.time()
        self.assertTrue(store.add(self.key, "nonce-0123456789abc", now + 300, now))
        self.assertFalse(store.add(self.key, "nonce-0123456789abc", now + 300, now + 10))
        self.assertTrue(store.add(self.other_key, "nonce-0123456789abc", now + 300, now), "per key")
        # Once expired, the row is taken over rather than refused.
        self.assertTrue(store.add(self.key, "nonce-0123456789abc", now + 900, now + 301))

    def test_nonce_outlives_the_transaction_that_checked_it(self):
        """A request refused after its signature check rolls back; its nonce stays used."""
        Nonce = self.env["odm.federation.nonce"]
        now = time.time()
        with self.env.cr.savepoint(flush=False) as refused_request:
            self.assertTrue(Nonce._odm_store().add(self.key, "kept-0123456789abcd", now + 300, now))
            refused_request.rollback()
        self.assertFalse(Nonce._odm_store().add(self.key, "kept-0123456789abcd", now + 300, now))
        self.assertEqual(self._stored(), ["kept-0123456789abcd"])

    def test_cron_forgets_expired_nonces_only(self):
        store = self.env["odm.federation.nonce"]._odm_store()
        now = time.time()
        store.add(self.key, "expired-0123456789", now - 1, now - 600)
        store.add(self.key, "fresh-0123456789ab", now + 300, now)
        self.assertEqual(self._stored(), ["expired-0123456789", "fresh-0123456789ab"])
        self._committed(lambda nonces: nonces._odm_purge_expired())
        self.assertEqual(self._stored(), ["fresh-0123456789ab"])

    def test_signature_check_uses_the_table(self):
        body = b'{"a":1}'
        headers = signing.sign("s3cret", "POST", "/x", body, key_id=self.key)
        store = self.env["odm.federation.nonce"]._odm_store()

        def check():
            return signing.verify(
                {self.key: "s3cret"}.get,
                "POST",
                "/x",
                headers,
                body,
                now=time.time(),
                nonce_store=store,
            )

        self.assertEqual(check(), self.key)
        with self.assertRaisesRegex(signing.SignatureError, "replayed_nonce"):
            check()
