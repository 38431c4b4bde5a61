from odoo.tests import tagged
from odoo.tools.misc import format_amount

from .network_common import NetworkCase


@tagged("post_install", "-at_install")
class TestHonestOffload(NetworkCase):
    """An offload follows the partner's rate card and agreement and says when it loses money."""

    def _wizard(self, production, workorder=None):
        return self.env["odm.make.or.buy.wizard"]._odm_for(production, workorder)

    def _resupplies(self):
        resupply = self.env.ref("stock.warehouse0").subcontracting_resupply_type_id
        return self.env["stock.picking"].search([("picking_type_id", "=", resupply.id)])

    def test_partner_supplying_the_material_is_sent_none_of_ours(self):
        self.geometry_shop.odm_rate_ids.material_included = True
        production = self._late_production()
        resupplies = self._resupplies()
        action = self._wizard(production).action_offload_recommended()
        purchase = self.env["purchase.order"].browse(action["res_id"])
        self.assertEqual(purchase.state, "purchase")
        self.assertEqual(production.state, "cancel")
        bom = self.env["mrp.bom"]._bom_subcontract_find(
            production.product_id, subcontractor=self.geometry_shop
        )
        self.assertEqual(bom.type, "subcontract")
        self.assertFalse(bom.bom_line_ids, "subcontracting without components")
        subcontracted = purchase.picking_ids.move_ids._get_subcontract_production()
        self.assertTrue(subcontracted)
        self.assertFalse(subcontracted.move_raw_ids, "nothing of ours is consumed at the partner")
        self.assertEqual(self._resupplies(), resupplies, "no transfer of our filament")

    def test_partner_without_material_gets_the_components_bom_back(self):
        self.geometry_shop.odm_rate_ids.material_included = True
        self._wizard(self._late_production()).action_offload_recommended()
        self.geometry_shop.odm_rate_ids.material_included = False
        production = self._late_production()
        self._wizard(production).action_offload_recommended()
        bom = self.env["mrp.bom"]._bom_subcontract_find(
            production.product_id, subcontractor=self.geometry_shop
        )
        self.assertEqual(bom.bom_line_ids.product_id, self.pla.product_id)

    def test_agreement_asking_for_an_rfq_leaves_the_purchase_to_confirm(self):
        self.geometry_shop.odm_agreement_id.rfq_first = True
        production = self._late_production()
        action = self._wizard(production).action_offload_recommended()
        purchase = self.env["purchase.order"].browse(action["res_id"])
        self.assertEqual(purchase.state, "draft", "a request for quotation")
        self.assertFalse(purchase.picking_ids)
        self.assertEqual(production.state, "confirmed", "our order still serves the demand")
        self.assertIn("request for quotation", production.message_ids[0].body)
        purchase.button_confirm()
        self.assertEqual(purchase.state, "purchase")
        self.assertEqual(production.state, "cancel", "handed over on confirmation")
        self.assertTrue(purchase.picking_ids.move_ids.is_subcontract)

    def test_offload_below_cost_is_said_with_the_numbers(self):
        production = self._late_production()
        sale_line = production.sale_line_id
        sale_line.price_unit = 0.5
        value = sale_line.price_subtotal
        wizard = self._wizard(production)
        currency = self.env.company.currency_id
        house = wizard.option_ids.filtered("in_house")
        partner = wizard.option_ids.filtered(lambda line: line.partner_id == self.geometry_shop)
        self.assertIn(
            f"our cost of {format_amount(self.env, house.cost + house.shipping_cost, currency)}",
            wizard.loss_warning,
        )
        self.assertIn(
            f"sale price of {format_amount(self.env, value, currency)}", wizard.loss_warning
        )
        self.assertIn(f"{self.geometry_shop.name}'s price of", wizard.loss_warning)
        action = partner.action_offload()
        purchase = self.env["purchase.order"].browse(action["res_id"])
        self.assertIn("above its sale price", purchase.message_ids[0].body)
        self.assertIn("above its sale price", production.message_ids[0].body)

    def test_offload_within_the_price_warns_nothing(self):
        production = self._late_production()
        production.sale_line_id.price_unit = 10_000
        self.assertFalse(self._wizard(production).loss_warning)

    def test_offloaded_operation_ships_the_parts_and_receives_them_back(self):
        production = self._late_production()
        workorder = production.workorder_ids.sorted("sequence")[-1]
        wizard = self._wizard(production, workorder)
        option = wizard.option_ids.filtered(lambda line: line.partner_id == self.metrics_shop)
        purchase = self.env["purchase.order"].browse(option.action_offload()["res_id"])
        outbound, inbound = purchase.odm_round_trip_ids.sorted("id")
        at_partner = self.metrics_shop.property_stock_subcontractor
        stock = self.env.ref("stock.warehouse0").lot_stock_id
        self.assertEqual((outbound.location_id, outbound.location_dest_id), (stock, at_partner))
        self.assertEqual((inbound.location_id, inbound.location_dest_id), (at_partner, stock))
        for picking in (outbound, inbound):
            self.assertEqual(picking.move_ids.product_id, production.product_id)
            self.assertEqual(picking.move_ids.product_uom_qty, 5)
            self.assertEqual(picking.partner_id, self.metrics_shop)
        outbound.move_ids.quantity = 5
        outbound.button_validate()
        self.assertEqual(outbound.state, "done")
        self.assertNotEqual(workorder.state, "done", "the parts are at the partner")
        inbound.move_ids.quantity = 5
        inbound.button_validate()
        self.assertEqual(inbound.state, "done")
        self.assertEqual(purchase.order_line.qty_received, 5)
        self.assertEqual(workorder.state, "done", "the parts are back: the operation is done")
