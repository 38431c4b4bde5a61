from odoo import fields, models
from odoo.exceptions import UserError

from .odm_network_router import OFFLOADABLE_WORKORDER_STATES


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    odm_offload_purchase_id = fields.Many2one(
        "purchase.order",
        "Subcontracted on",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="A partner does this operation: it is done when the purchase's service is received, "
        "and it is not planned on our work centers.",
    )

    def action_odm_make_or_buy(self):
        """Opens the ranking of our shop and every partner for this operation alone."""
        self.ensure_one()
        return self.env["odm.make.or.buy.wizard"]._odm_open(self.production_id, self)

    def _odm_purchase_operation(self, partner, option):
        """A service purchase of this operation, linked to the work order."""
        self.ensure_one()
        if self.state not in OFFLOADABLE_WORKORDER_STATES or self.odm_offload_purchase_id:
            raise UserError(
                self.env._(
                    "%(operation)s has started or is already subcontracted.",
                    operation=self.display_name,
                )
            )
        service = self._odm_service_product()
        return self.env["purchase.order"]._odm_create_offload(
            partner,
            self.production_id,
            option,
            {
                "product_id": service.id,
                "name": f"{service.name} - {self.production_id.name}",
                "product_qty": self.production_id.product_qty,
                "product_uom": service.uom_id.id,
            },
            workorder=self,
        )

    def _odm_service_product(self):
        """The purchasable service "Subcontracted operation: <operation>", made once."""
        name = self.env._("Subcontracted operation: %(operation)s", operation=self.name)
        products = self.env["product.product"].sudo()
        return products.search(
            [("name", "=", name), ("type", "=", "service"), ("purchase_ok", "=", True)], limit=1
        ) or products.create(
            {"name": name, "type": "service", "purchase_ok": True, "sale_ok": False}
        )

    def _odm_mark_offloaded(self, purchase):
        """The operation waits for the partner: off our work center's calendar."""
        self.leave_id.unlink()
        self.odm_offload_purchase_id = purchase

    def button_start(self, raise_on_invalid_state=False):
        subcontracted = self.filtered("odm_offload_purchase_id")
        if subcontracted:
            raise UserError(
                self.env._(
                    "%(operation)s is subcontracted on %(purchase)s: it is done when the service "
                    "is received.",
                    operation=subcontracted[0].display_name,
                    purchase=subcontracted[0].odm_offload_purchase_id.name,
                )
            )
        return super().button_start(raise_on_invalid_state=raise_on_invalid_state)
