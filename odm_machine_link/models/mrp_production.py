from odoo import api, models


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    def _odm_consume_material(self, grams):
        """Records ``grams`` of the quoted material as consumed: what the machine really used,
        read by odm_mrp's quote-vs-actual rows when the order is done."""
        self.ensure_one()
        material = self.bom_id.odm_quote_id.material_id.product_id
        gram = self.env.ref("uom.product_uom_gram")
        for move in self.move_raw_ids.filtered(
            lambda m: m.product_id == material and m.state not in ("done", "cancel")
        ):
            move.quantity = gram._compute_quantity(grams, move.product_uom)
            move.picked = True

    @api.model
    def load_demo_ready_to_print(self, partner_id, lines, machine_xmlid):
        """Demo data: a confirmed order whose print step is ready on the machine
        ``machine_xmlid`` (its material counted into stock, the steps before it done), so a
        production manager can press Dispatch Now and watch the printer run it.

        ``lines``: as odm_mrp's ``sale.order.load_demo_production_order``.
        """
        order = self.env["sale.order"].load_demo_production_order(partner_id, lines)
        machine = self.env.ref(machine_xmlid)
        for production in self.search([("sale_line_id", "in", order.order_line.ids)]):
            for move in production.move_raw_ids:
                self.env["stock.quant"].with_context(inventory_mode=True).create(
                    {
                        "product_id": move.product_id.id,
                        "location_id": production.location_src_id.id,
                        "inventory_quantity": move.product_uom_qty * 2,
                    }
                ).action_apply_inventory()
            production._odm_prepare_machine_step().workcenter_id = machine.workcenter_id
        return order

    def _odm_prepare_machine_step(self):
        """Reserves the stocked components and does the steps before the machine one (the
        preparation a person does before a print), returns the machine step."""
        self.ensure_one()
        self.action_assign()
        step = self.workorder_ids.filtered(
            lambda wo: wo.operation_id.odm_duration_mode == "machine"
        )
        for before in step.blocked_by_workorder_ids:
            before.button_start()
            before.button_finish()
        return step
