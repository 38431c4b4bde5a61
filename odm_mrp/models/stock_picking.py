from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        """A validated delivery to the customer of an order of quoted parts is e-mailed to
        them, with the link to the order's tracking page."""
        result = super()._action_done()
        delivered = self.filtered(
            lambda picking: (
                picking.state == "done"
                and picking.location_dest_id.usage == "customer"
                and picking.sale_id
            )
        )
        delivered.sale_id._odm_send_shipped_mail()
        return result
