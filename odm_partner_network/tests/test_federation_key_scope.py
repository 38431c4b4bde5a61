"""A partner shop's API key opens the federation routes and nothing else of Odoo."""

import xmlrpc.client

from odoo.tests import HttpCase, tagged

from ..models.odm_federation_peer import API_KEY_SCOPE


@tagged("post_install", "-at_install")
class TestFederationKeyScope(HttpCase):
    def setUp(self):
        super().setUp()
        partner = self.env["res.partner"].create(
            {"name": "Scoped Print Bureau", "is_company": True}
        )
        self.peer = self.env["odm.federation.peer"].create(
            {"partner_id": partner.id, "base_url": "http://127.0.0.1:9", "key_id": "scoped-bureau"}
        )
        self.key = self.peer._odm_issue_api_key()
        self.login = self.peer.local_user_id.login

    def test_key_is_accepted_only_in_its_own_scope(self):
        keys = self.env["res.users.apikeys"]
        self.assertEqual(
            keys._check_credentials(scope=API_KEY_SCOPE, key=self.key), self.peer.local_user_id.id
        )
        self.assertFalse(keys._check_credentials(scope="rpc", key=self.key))

    def test_key_does_not_open_xml_rpc(self):
        common = xmlrpc.client.ServerProxy(f"{self.base_url()}/xmlrpc/2/common")
        uid = common.authenticate(self.env.cr.dbname, self.login, self.key, {})
        self.assertFalse(uid, "a federation key must not log in over XML-RPC")
        models = xmlrpc.client.ServerProxy(f"{self.base_url()}/xmlrpc/2/object")
        with self.assertRaises(xmlrpc.client.Fault):
            models.execute_kw(
                self.env.cr.dbname,
                self.peer.local_user_id.id,
                self.key,
                "odm.part.quote",
                "search_read",
                [[]],
                {"fields": ["parameters"]},
            )
