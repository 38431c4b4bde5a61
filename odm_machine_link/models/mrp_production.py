from odoo import models


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
