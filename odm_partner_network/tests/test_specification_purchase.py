import base64
from datetime import datetime, time, timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.odm_quote.tests.test_odm_part_specification import DRAWING

from ..models.odm_federation_api import FederationError
from .network_common import NetworkCase


@tagged("post_install", "-at_install")
class TestSpecificationPurchase(NetworkCase):
    def _late_specified_production(self):
        order = self._fdm_order(5)
        self.env["odm.part.specification"]._odm_set_for_line(
            order.order_line,
            {
                "tolerance_class": "f",
                "insert_size": "M4",
                "insert_count": 2,
                "drawing": DRAWING,
                "drawing_name": "housing.pdf",
            },
        )
        order.action_confirm()
        production = self._productions(order.order_line)
        self._plan(production, 12)
        production.date_deadline = datetime.combine(self.today + timedelta(days=4), time(12))
        return production

    def test_partner_purchase_line_and_notes_carry_the_specification(self):
        production = self._late_specified_production()
        wizard = self.env["odm.make.or.buy.wizard"]._odm_for(production)
        purchase = self.env["purchase.order"].browse(wizard.action_offload_recommended()["res_id"])
        for text in (purchase.order_line.name, str(purchase.notes)):
            self.assertIn("General tolerance: ISO 2768-f", text)
            self.assertIn("Inserts: 2 x M4", text)

    def test_federation_line_sends_the_specification_as_optional_fields(self):
        production = self._late_specified_production()
        quote = production.bom_id.odm_quote_id
        payload = self.env["purchase.order"]._odm_specification_payload(quote)
        self.assertEqual(payload["specification"]["inserts"], [{"size": "M4", "count": 2}])
        self.assertEqual(payload["specification"]["tolerance_class"], "f")
        self.assertNotIn("drawing", payload["specification"])
        self.assertEqual(base64.b64decode(payload["drawing"]["file_base64"]), DRAWING)
        plain = self._fdm_order(5)
        plain.action_confirm()
        self.assertEqual(
            self.env["purchase.order"]._odm_specification_payload(plain.order_line.odm_quote_id),
            {},
            "partners on older versions get the payload they know",
        )

    def test_partner_order_line_specification_is_priced_on_our_sale_line(self):
        api = self.env["odm.federation.api"]
        line = self._fdm_order(5).order_line
        api._odm_apply_specification(line, {"quantity": 5})
        self.assertFalse(line.odm_specification_ids, "a line without one gets none")
        api._odm_apply_specification(
            line,
            {
                "specification": {"threads": [{"size": "M3", "count": 4}], "inspection": "full"},
                "drawing": {
                    "filename": "bracket.pdf",
                    "file_base64": base64.b64encode(DRAWING).decode(),
                },
            },
        )
        spec = line.odm_specification_ids
        self.assertEqual((spec.thread_size, spec.thread_count, spec.inspection), ("M3", 4, "full"))
        self.assertEqual(spec.drawing_name, "bracket.pdf")
        self.assertIn("threads_M3", [i["code"] for i in line.odm_quote_id.result["breakdown"]])
        self.assertFalse(line.odm_fatal, "the drawing came with the threads")
        with self.assertRaises(FederationError) as refused:
            api._odm_apply_specification(line, {"drawing": {"file_base64": "not base64!"}})
        self.assertEqual((refused.exception.status, refused.exception.field), (422, "drawing"))
        two_sizes = {"threads": [{"size": "M3", "count": 1}, {"size": "M4", "count": 1}]}
        with self.assertRaisesRegex(UserError, "one size of threads"):
            api._odm_apply_specification(line, {"specification": two_sizes})
