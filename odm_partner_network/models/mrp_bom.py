from odoo import api, fields, models


class MrpBom(models.Model):
    _inherit = "mrp.bom"

    @api.model
    def _odm_subcontract_bom(self, bom, partner):
        """The subcontract BoM of ``bom``'s product for the partner, made from ``bom``'s
        components when missing; the components get the route that resupplies subcontractors
        on order, so the partner is sent what it needs when the purchase is confirmed."""
        product = bom.product_id or bom.product_tmpl_id.product_variant_id
        subcontract = self.search(
            [
                ("type", "=", "subcontract"),
                ("product_tmpl_id", "=", bom.product_tmpl_id.id),
                ("product_id", "in", (False, product.id)),
                ("company_id", "in", (False, bom.company_id.id)),
            ],
            limit=1,
        )
        if not subcontract:
            subcontract = self.create(
                {
                    "product_tmpl_id": bom.product_tmpl_id.id,
                    "product_id": product.id,
                    "product_qty": bom.product_qty,
                    "product_uom_id": bom.product_uom_id.id,
                    "company_id": bom.company_id.id,
                    "type": "subcontract",
                    "sequence": bom.sequence + 1,
                    "bom_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": line.product_id.id,
                                "product_qty": line.product_qty,
                                "product_uom_id": line.product_uom_id.id,
                            }
                        )
                        for line in bom.bom_line_ids
                    ],
                }
            )
        if partner not in subcontract.subcontractor_ids:
            subcontract.subcontractor_ids = [fields.Command.link(partner.id)]
        resupply = self.env.ref("mrp_subcontracting.route_resupply_subcontractor_mto")
        components = subcontract.bom_line_ids.product_id.filtered(
            lambda component: resupply not in component.route_ids
        )
        components.write({"route_ids": [fields.Command.link(resupply.id)]})
        return subcontract
