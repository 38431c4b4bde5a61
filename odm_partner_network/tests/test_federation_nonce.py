"""The nonce table as the signature check's NonceStore: replays refused, expired rows purged."""

import time

from odoo.tests import TransactionCase, tagged

from odm_engine.network import signing


@tagged("post_install", "-at_install")
class TestFederationNonce(TransactionCase):
    def test_nonce_is_accepted_once_until_it_expires(self):
        store = self.env["odm.federation.nonce"]._odm_store()
        now = time.time()
        self.assertTrue(store.add("shop", "nonce-0123456789abc", now + 300, now))
        self.assertFalse(store.add("shop", "nonce-0123456789abc", now + 300, now + 10))
        self.assertTrue(store.add("other", "nonce-0123456789abc", now + 300, now), "per key id")
        # Once expired, the row is taken over rather than refused.
        self.assertTrue(store.add("shop", "nonce-0123456789abc", now + 900, now + 301))

    def test_cron_forgets_expired_nonces_only(self):
        Nonce = self.env["odm.federation.nonce"]
        store = Nonce._odm_store()
        now = time.time()
        store.add("shop", "expired-0123456789", now - 1, now - 600)
        store.add("shop", "fresh-0123456789ab", now + 300, now)
        Nonce._odm_purge_expired()
        self.assertEqual(
            Nonce.search([("key_id", "=", "shop")]).mapped("nonce"), ["fresh-0123456789ab"]
        )

    def test_signature_check_uses_the_table(self):
        body = b'{"a":1}'
        headers = signing.sign("s3cret", "POST", "/x", body, key_id="shop")
        store = self.env["odm.federation.nonce"]._odm_store()

        def check():
            return signing.verify(
                {"shop": "s3cret"}.get,
                "POST",
                "/x",
                headers,
                body,
                now=time.time(),
                nonce_store=store,
            )

        self.assertEqual(check(), "shop")
        with self.assertRaisesRegex(signing.SignatureError, "replayed_nonce"):
            check()
