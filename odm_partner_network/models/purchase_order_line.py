from odoo import models
from odoo.tools import float_compare


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

    def write(self, vals):
        """Receiving an offloaded operation's service in full finishes its work order."""
        result = super().write(vals)
        if "qty_received" in vals:
            for line in self.filtered(lambda line: line.order_id.odm_workorder_id):
                workorder = line.order_id.odm_workorder_id
                received = float_compare(
                    line.qty_received,
                    line.product_qty,
                    precision_rounding=line.product_uom.rounding,
                )
                if received >= 0 and workorder.state not in ("done", "cancel"):
                    workorder.button_finish()
        return result
