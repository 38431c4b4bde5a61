from odoo import api, fields, models
from odoo.exceptions import UserError

from .odm_network_router import OFFLOADABLE_PRODUCTION_STATES

# Production of an order in these states has started, or will not.
STARTED_STATES = ("progress", "to_close", "done", "cancel")


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    odm_purchase_ids = fields.One2many(
        "purchase.order", "odm_production_id", string="Offload purchases", readonly=True
    )

    def write(self, vals):
        """Tells network clients when production of their order starts (federation)."""
        starting = (
            self.filtered(lambda production: production.state not in STARTED_STATES)
            if vals.get("state") == "progress"
            else self.browse()
        )
        result = super().write(vals)
        starting.sale_line_id.order_id._odm_notify_network("in_production")
        return result

    def action_odm_make_or_buy(self):
        """Opens the ranking of our shop and every partner for this order."""
        self.ensure_one()
        return self.env["odm.make.or.buy.wizard"]._odm_open(self)

    def _odm_check_offloadable(self):
        self.ensure_one()
        started = self.workorder_ids.filtered(lambda wo: wo.state in ("progress", "done"))
        if self.state not in OFFLOADABLE_PRODUCTION_STATES or started:
            raise UserError(
                self.env._(
                    "%(order)s has started or is not confirmed: only an order nobody works on "
                    "yet can go to a partner.",
                    order=self.name,
                )
            )

    def _odm_purchase_production(self, partner, option):
        """The partner makes the whole order under Odoo's subcontracting: a subcontract BoM
        for it, the components sent by the resupply route unless its rate card includes the
        material, and a purchase of the product that feeds the deliveries our order was
        feeding."""
        self._odm_check_offloadable()
        partner = partner.commercial_partner_id
        rate = partner._odm_rate_for(self.bom_id.odm_quote_id)
        # BoMs and product routes are production managers'; made on the planner's behalf.
        self.env["mrp.bom"].sudo()._odm_subcontract_bom(
            self.bom_id.sudo(), partner, components=not rate.material_included
        )
        deliveries = self.move_finished_ids.move_dest_ids.filtered(
            lambda move: move.state not in ("done", "cancel")
        )
        return self.env["purchase.order"]._odm_create_offload(
            partner,
            self,
            option,
            {
                "product_id": self.product_id.id,
                "product_qty": self.product_qty,
                "product_uom": self.product_uom_id.id,
                "move_dest_ids": [fields.Command.set(deliveries.ids)],
            },
        )

    def _odm_cancel_for(self, purchase):
        """Our order is cancelled: the purchase now serves its demand."""
        self.with_context(skip_activity=True).action_cancel()
        self.message_post(
            body=self.env._("Cancelled: %(purchase)s makes it now.", purchase=purchase.name)
        )

    @api.model
    def _cron_odm_route_late_orders(self):
        self.env["odm.network.router"].route_late_orders()
