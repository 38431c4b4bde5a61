from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    odm_partner_supply = fields.Boolean(
        "Partner supply",
        compute="_compute_odm_partner_supply",
        help="No machine of the shop makes the part as quoted: a partner of the network will.",
    )

    @api.depends("odm_quote_id", "odm_dfm_override")
    def _compute_odm_partner_supply(self):
        for line in self:
            # Machines and partners' capabilities are production's; this is one flag.
            quote = line.odm_quote_id.sudo()
            line.odm_partner_supply = bool(
                quote and not quote._odm_capable_machines() and quote._odm_capable_partners()
            )
