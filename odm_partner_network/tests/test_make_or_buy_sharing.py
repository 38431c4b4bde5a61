from odoo.exceptions import UserError
from odoo.tests import tagged

from .network_common import NetworkCase


@tagged("post_install", "-at_install")
class TestMakeOrBuySharing(NetworkCase):
    """What a partner gets about a part follows its agreement, and an NDA for confidential parts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.geometry_without_nda = cls._shop(
            "Test Geometry Shop Without NDA", (47.3769, 8.5417), "geometry"
        )

    def setUp(self):
        super().setUp()
        order = self._fdm_order(3)
        order.action_confirm()
        self.quote = order.order_line.odm_quote_id

    def _shared(self, shop):
        """(note, attachment names) of a purchase to ``shop`` once the part is shared."""
        purchase = self.env["purchase.order"].create({"partner_id": shop.id})
        purchase._odm_share_part(self.quote, 3)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "purchase.order"), ("res_id", "=", purchase.id)]
        )
        return str(purchase.notes or ""), sorted(attachments.mapped("name"))

    def test_full_geometry_attaches_the_file_and_its_specification(self):
        note, names = self._shared(self.geometry_shop)
        self.assertIn("Size:", note)
        self.assertEqual(
            names,
            sorted(
                [self.quote.part_id.file_name, f"{self.quote.part_id.name} - specification.txt"]
            ),
        )

    def test_metrics_go_in_the_note_only(self):
        note, names = self._shared(self.metrics_shop)
        self.assertIn("Volume:", note)
        self.assertIn("Quantity: 3", note)
        self.assertEqual(names, [])

    def test_capacity_only_shares_nothing(self):
        self.assertEqual(self._shared(self.capacity_shop), ("", []))

    def test_confidential_part_needs_an_nda(self):
        self.quote.part_id.odm_confidential = True
        self.assertEqual(self._shared(self.geometry_without_nda), ("", []))
        note, names = self._shared(self.geometry_shop)
        self.assertIn("Size:", note)
        self.assertEqual(len(names), 2, "the NDA shop still gets the file")

    def test_request_for_quote_follows_the_same_rule(self):
        """No part data of a confidential part goes out for a quote without an NDA, nothing of
        any part under a capacity-only agreement (refused before any request is made)."""
        part = self.quote.part_id
        part.odm_confidential = True
        for shop in (self.geometry_without_nda, self.capacity_shop):
            peer = self.env["odm.federation.peer"].create(
                {
                    "partner_id": shop.id,
                    "base_url": "http://127.0.0.1:9",
                    "key_id": f"test-rfq-{shop.id}",
                    "remote_api_key": "test-api-key",
                }
            )
            with self.assertRaisesRegex(UserError, "Nothing of"):
                peer._odm_request_quote(part, self.quote.process_id, self.quote.material_id, 3)
            self.assertFalse(peer.last_contact, "no request left")
