from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    odm_offload_purchase_id = fields.Many2one(
        "purchase.order",
        "Offloaded operation's purchase",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="This transfer carries the parts of an offloaded operation to or from the partner.",
    )

    def _action_done(self):
        """Tells network clients their parts left, with the carrier's tracking reference when
        a delivery carrier gave one (stock_delivery), else our delivery's reference; parts
        back from an offloaded operation receive its service."""
        result = super()._action_done()
        self._odm_receive_round_trip()
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

    def _odm_receive_round_trip(self):
        """Parts received back from an offloaded operation: the partner's service is received
        for as many parts, which finishes the work order once all are back."""
        returns = self.filtered(
            lambda picking: (
                picking.state == "done"
                and picking.odm_offload_purchase_id
                and picking.picking_type_code == "incoming"
            )
        )
        for picking in returns:
            service = picking.odm_offload_purchase_id.order_line[:1]
            service.qty_received += sum(picking.move_ids.mapped("quantity"))
