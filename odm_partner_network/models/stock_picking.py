from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        """Tells network clients their parts left, with the carrier's tracking reference when
        a delivery carrier gave one (stock_delivery), else our delivery's reference."""
        result = super()._action_done()
        shipped = self.filtered(
            lambda picking: (
                picking.state == "done"
                and picking.picking_type_code == "outgoing"
                and picking.sale_id.odm_network_client_id
            )
        )
        for picking in shipped:
            # stock_delivery, when installed, gives the carrier and its tracking number.
            tracking = "carrier_tracking_ref" in picking._fields and picking.carrier_tracking_ref
            carrier = "carrier_id" in picking._fields and picking.carrier_id.name
            picking.sale_id._odm_notify_network(
                "shipped", tracking_ref=tracking or picking.name, carrier=carrier or None
            )
        return result
