import socket

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .network_common import NetworkCase


@tagged("post_install", "-at_install")
class TestMakeOrBuy(NetworkCase):
    def test_ranking_explains_options_and_exclusions(self):
        production = self._late_production()
        action = production.action_odm_make_or_buy()
        wizard = self.env["odm.make.or.buy.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.production_id, production)
        options = wizard.option_ids
        self.assertEqual(
            set(options.mapped("candidate")), {self.env.company.name, self.geometry_shop.name}
        )
        house = options.filtered("in_house")
        self.assertEqual(house.late_days, 8, "planned 12 days out, due in 4")
        self.assertIn("in-house", house.explanation)
        excluded = {line.candidate: line.explanation for line in wizard.excluded_ids}
        self.assertIn("shares metrics only", excluded[self.metrics_shop.name])
        self.assertIn("shares capacity only", excluded[self.capacity_shop.name])
        self.assertEqual(excluded[self.unbound_shop.name], "no network agreement in force")
        self.assertEqual(wizard.decision, "offload")
        self.assertEqual(wizard.recommended_line_id.partner_id, self.geometry_shop)
        self.assertIn("in-house is 8 d late", wizard.decision_reason)

    def test_network_user_sees_the_ranking_manager_offloads(self):
        production = self._late_production()
        user = new_test_user(
            self.env, login="odm_mob_user", groups="odm_partner_network.group_odm_network_user"
        )
        action = production.with_user(user).action_odm_make_or_buy()
        wizard = self.env["odm.make.or.buy.wizard"].with_user(user).browse(action["res_id"])
        self.assertEqual(wizard.recommended_partner_id, self.geometry_shop)
        with self.assertRaises(AccessError):
            wizard.action_offload_recommended()
        self.assertEqual(production.state, "confirmed")
        manager = new_test_user(
            self.env,
            login="odm_mob_manager",
            groups="odm_partner_network.group_odm_network_manager",
        )
        wizard.with_user(manager).action_offload_recommended()
        self.assertEqual(production.state, "cancel")

    def test_order_without_quote_or_deadline_is_refused(self):
        production = self._late_production()
        production.date_deadline = False
        with self.assertRaisesRegex(UserError, "has no deadline"):
            production.action_odm_make_or_buy()
        unquoted = self.env["mrp.production"].create({"product_id": self.pla.product_id.id})
        with self.assertRaisesRegex(UserError, "is not a quoted part"):
            unquoted.action_odm_make_or_buy()

    def test_order_on_time_stays_in_house(self):
        production = self._late_production(finish_in_days=2)
        wizard = self.env["odm.make.or.buy.wizard"]._odm_for(production)
        self.assertEqual(wizard.decision, "in_house")
        self.assertFalse(wizard.recommended_line_id)
        with self.assertRaisesRegex(UserError, "recommend no partner"):
            wizard.action_offload_recommended()

    def test_offload_whole_order_subcontracts_it(self):
        production = self._late_production()
        delivery = production.move_finished_ids.move_dest_ids
        self.assertTrue(delivery, "the order feeds the sale's delivery")
        wizard = self.env["odm.make.or.buy.wizard"]._odm_for(production)
        action = wizard.action_offload_recommended()
        purchase = self.env["purchase.order"].browse(action["res_id"])
        self.assertEqual(purchase.partner_id, self.geometry_shop)
        self.assertEqual(purchase.state, "purchase")
        self.assertEqual(purchase.odm_production_id, production)
        self.assertEqual(purchase.odm_offload_kind, "production")
        self.assertEqual(purchase.order_line.product_id, production.product_id)
        self.assertEqual(purchase.order_line.product_qty, 5)
        self.assertEqual(production.state, "cancel")
        bom = self.env["mrp.bom"]._bom_subcontract_find(
            production.product_id, subcontractor=self.geometry_shop
        )
        self.assertEqual(bom.type, "subcontract")
        self.assertEqual(bom.bom_line_ids.product_id, self.pla.product_id)
        resupply = self.env.ref("mrp_subcontracting.route_resupply_subcontractor_mto")
        self.assertIn(resupply, self.pla.product_id.route_ids)
        receipt_move = purchase.picking_ids.move_ids
        self.assertTrue(receipt_move.is_subcontract)
        subcontracted = receipt_move._get_subcontract_production()
        self.assertTrue(subcontracted, "the partner's MO exists")
        resupplies = subcontracted.move_raw_ids.move_orig_ids.picking_id
        self.assertEqual(
            resupplies.picking_type_id,
            self.env.ref("stock.warehouse0").subcontracting_resupply_type_id,
        )
        self.assertIn(receipt_move, delivery.move_orig_ids, "the purchase feeds the delivery")
        self.assertNotEqual(delivery.state, "cancel")
        self.assertTrue(
            any("offloaded to" in body for body in production.message_ids.mapped("body"))
        )
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "purchase.order"), ("res_id", "=", purchase.id)]
        )
        self.assertEqual(len(attachments), 2, "file and specification go to the geometry shop")

    def test_started_order_cannot_go_and_nothing_is_made(self):
        production = self._late_production()
        production.workorder_ids[0].button_start()
        purchases = self.env["purchase.order"].search_count([])
        boms = self.env["mrp.bom"].search_count([("type", "=", "subcontract")])
        wizard = self.env["odm.make.or.buy.wizard"]._odm_for(production)
        with self.assertRaisesRegex(UserError, "has started"):
            wizard.action_offload_recommended()
        self.assertEqual(self.env["purchase.order"].search_count([]), purchases)
        self.assertEqual(self.env["mrp.bom"].search_count([("type", "=", "subcontract")]), boms)
        self.assertEqual(production.state, "progress")

    def test_unavailable_partner_is_rolled_back_and_the_next_one_takes_it(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        production = self._offload_past_failing_peer(
            {"base_url": f"http://127.0.0.1:{closed_port}", "key_id": "test-closed-peer"}
        )
        self.assertEqual(production.state, "cancel")

    def test_offload_one_operation_buys_a_service(self):
        production = self._late_production()
        workorder = production.workorder_ids.sorted("sequence")[-1]
        wizard = self.env["odm.make.or.buy.wizard"]._odm_for(production, workorder)
        partner_line = wizard.option_ids.filtered(lambda line: line.partner_id == self.metrics_shop)
        self.assertTrue(partner_line, "an operation needs no geometry: the metrics shop qualifies")
        action = partner_line.action_offload()
        purchase = self.env["purchase.order"].browse(action["res_id"])
        self.assertEqual(purchase.odm_offload_kind, "operation")
        self.assertEqual(purchase.odm_workorder_id, workorder)
        service = purchase.order_line.product_id
        self.assertEqual(service.type, "service")
        self.assertEqual(service.name, f"Subcontracted operation: {workorder.name}")
        self.assertEqual(workorder.odm_offload_purchase_id, purchase)
        self.assertNotEqual(production.state, "cancel")
        self.assertNotIn(workorder, self.env["odm.production.planner"]._open_workorders())
        with self.assertRaisesRegex(UserError, "is subcontracted on"):
            workorder.button_start()
        self.assertIn("Size:", purchase.notes, "metrics go in the note")
        purchase.order_line.qty_received = 5
        self.assertEqual(workorder.state, "done")

    def test_route_late_orders_offloads_what_the_rules_allow(self):
        production = self._late_production()
        on_time = self._late_production(finish_in_days=2)
        decisions = self.env["odm.network.router"].route_late_orders()
        self.assertEqual(decisions[production].action, "offload")
        self.assertNotIn(on_time, decisions)
        self.assertEqual(production.state, "cancel")
        self.assertEqual(production.odm_purchase_ids.partner_id, self.geometry_shop)
        self.assertNotEqual(on_time.state, "cancel")

    def test_route_late_orders_only_reports_when_automatic_offload_is_off(self):
        self.env.company.odm_auto_offload = False
        production = self._late_production()
        decisions = self.env["odm.network.router"].route_late_orders()
        self.assertEqual(decisions[production].action, "review")
        self.assertEqual(production.state, "confirmed")
        self.assertIn("automatic offload is off", production.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestOffloadRefused(NetworkCase, HttpCase):
    def test_refusing_partner_is_rolled_back_and_the_next_one_takes_it(self):
        """A partner that answers no (here our own server, which does not know the key) is
        skipped like an unavailable one: nothing of its purchase remains."""
        self._offload_past_failing_peer(
            {
                "base_url": self.base_url(),
                "database": self.env.cr.dbname,
                "key_id": "test-key-nobody-issued",
                "secret": "test-secret-nobody-shares",
            }
        )
