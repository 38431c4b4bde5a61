from datetime import datetime, timedelta

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestNetworkModels(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        cls.shop = cls.env["res.partner"].create(
            {"name": "Test Network Shop", "is_company": True, "odm_is_manufacturer": True}
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Test bought bracket", "is_storable": True, "purchase_ok": True}
        )

    def _agreement(self, **values):
        return self.env["odm.partner.agreement"].create(
            {"name": "Test agreement", "partner_id": self.shop.id, **values}
        )

    def test_one_agreement_in_force_per_partner(self):
        first = self._agreement(state="active", sharing_level="metrics")
        self.assertEqual(self.shop.odm_agreement_id, first)
        draft = self._agreement()
        with self.assertRaisesRegex(ValidationError, "already has an agreement in force"):
            draft.action_activate()
        first.action_end()
        draft.action_activate()
        self.assertEqual(self.shop.odm_agreement_id, draft)
        self.assertTrue(draft._odm_allows("capacity"))
        self.assertFalse(draft._odm_allows("metrics"))

    def test_agreement_terms_are_checked(self):
        with (
            self.assertRaisesRegex(ValidationError, "percentages go from 0 to 100"),
            self.cr.savepoint(),
        ):
            self._agreement(commission_pct=120)
        with (
            self.assertRaisesRegex(ValidationError, "date the NDA was signed"),
            self.cr.savepoint(),
        ):
            self._agreement(nda_signed=True)

    def test_rates_are_positive_and_unique_per_material(self):
        rates = self.env["odm.partner.rate"]
        values = {"partner_id": self.shop.id, "process_id": self.fdm.id, "setup_price": 5}
        with self.assertRaisesRegex(ValidationError, "cannot be negative"), self.cr.savepoint():
            rates.create({**values, "per_part_price": -1})
        rates.create(values)
        with self.assertRaisesRegex(ValidationError, "any material"), self.cr.savepoint():
            rates.create(values)
        pla = self.env.ref("odm_quote.material_pla")
        self.assertTrue(rates.create({**values, "material_id": pla.id}))

    @mute_logger("odoo.sql_db")
    def test_one_capacity_per_process(self):
        capacities = self.env["odm.partner.capacity"]
        values = {"partner_id": self.shop.id, "process_id": self.fdm.id, "free_hours_per_day": 8}
        capacity = capacities.create(values)
        self.assertEqual(capacity.source, "manual")
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            capacities.create(values)

    def test_network_user_reads_agreements_manager_writes(self):
        agreement = self._agreement()
        user = new_test_user(
            self.env, login="odm_net_reader", groups="odm_partner_network.group_odm_network_user"
        )
        self.assertEqual(agreement.with_user(user).sharing_level, "capacity")
        with self.assertRaises(AccessError):
            agreement.with_user(user).commission_pct = 3
        manager = new_test_user(
            self.env,
            login="odm_net_manager",
            groups="odm_partner_network.group_odm_network_manager",
        )
        agreement.with_user(manager).commission_pct = 3
        self.assertEqual(agreement.commission_pct, 3)

    def _purchase(self, quantity, expected):
        purchase = self.env["purchase.order"].create(
            {
                "partner_id": self.shop.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_qty": quantity,
                            "date_planned": expected,
                        }
                    )
                ],
            }
        )
        purchase.button_confirm()
        return purchase

    def _receive(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def test_scorecard_from_receipts_returns_and_scraps(self):
        now = fields.Datetime.now()
        on_time = self._receive(self._purchase(10, now + timedelta(days=2)).picking_ids)
        late = self._receive(self._purchase(10, datetime(2020, 1, 6, 12)).picking_ids)
        self._purchase(4, now + timedelta(days=2))  # ordered, not received: not a delivery
        returns = (
            self.env["stock.return.picking"]
            .with_context(active_id=on_time.id, active_model="stock.picking")
            .create({"picking_id": on_time.id})
        )
        returns.product_return_moves.quantity = 2
        self._receive(self.env["stock.picking"].browse(returns.action_create_returns()["res_id"]))
        scrap = self.env["stock.scrap"].create(
            {"product_id": self.product.id, "scrap_qty": 1, "picking_id": late.id}
        )
        scrap.action_validate()
        self.assertEqual(self.shop.odm_delivery_count, 2)
        self.assertEqual(self.shop.odm_on_time_count, 1)
        self.assertEqual(self.shop.odm_on_time_pct, 50)
        self.assertEqual(self.shop.odm_parts_received, 20)
        self.assertEqual(self.shop.odm_parts_rejected, 3)
        self.assertEqual(self.shop.odm_reject_pct, 15)

    def test_status_callbacks_queue_once_in_their_own_channel(self):
        """A callback is an HTTP call to the client (up to the peer's timeout, retried while it
        is unreachable): ``root.odm_network`` keeps them from holding every queue worker."""
        peer = self.env["odm.federation.peer"].create(
            {
                "partner_id": self.shop.id,
                "base_url": "https://client.example",
                "key_id": "test-client",
                "secret": "test-shared-secret-0123456789",
            }
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.shop.id,
                "odm_network_client_id": peer.id,
                "odm_network_po_ref": "PO-CLIENT-1",
            }
        )
        callbacks = [("method_name", "=", "_odm_send_network_status")]
        before = self.env["queue.job"].search(callbacks)
        order._odm_notify_network("accepted")
        order._odm_notify_network("accepted")  # sent already: not queued again
        job = self.env["queue.job"].search(callbacks) - before
        self.assertRecordValues(
            job,
            [{"records": order, "args": ["accepted", None, None], "channel": "root.odm_network"}],
        )
