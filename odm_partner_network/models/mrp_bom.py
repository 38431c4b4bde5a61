from odoo import api, fields, models


class MrpBom(models.Model):
    _inherit = "mrp.bom"

    @api.model
    def _odm_made_elsewhere(self, quote):
        """A part only a partner can make is bought: its order gets no operations of ours and
        waits for make-or-buy to place it."""
        return super()._odm_made_elsewhere(quote) or bool(quote.sudo()._odm_capable_partners())

    @api.model
    def _odm_subcontract_bom(self, bom, partner, components=True):
        """The subcontract BoM of ``bom``'s product for the partner, made when missing.

        With ``components`` it lists ``bom``'s components, which get the route that resupplies
        subcontractors on order, so the partner is sent what it needs when the purchase is
        confirmed; without, the partner supplies the material and is sent nothing (Odoo's
        subcontracting without components). The partner is taken off the product's other
        subcontract BoMs so Odoo picks this one.
        """
        product = bom.product_id or bom.product_tmpl_id.product_variant_id
        subcontracts = self.search(
            [
                ("type", "=", "subcontract"),
                ("product_tmpl_id", "=", bom.product_tmpl_id.id),
                ("product_id", "in", (False, product.id)),
                ("company_id", "in", (False, bom.company_id.id)),
            ]
        )
        subcontract = subcontracts.filtered(
            lambda candidate: bool(candidate.bom_line_ids) == components
        )[:1]
        (subcontracts - subcontract).filtered(
            lambda other: partner in other.subcontractor_ids
        ).subcontractor_ids = [fields.Command.unlink(partner.id)]
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
                        for line in (bom.bom_line_ids if components else ())
                    ],
                }
            )
        if partner not in subcontract.subcontractor_ids:
            subcontract.subcontractor_ids = [fields.Command.link(partner.id)]
        resupply = self.env.ref("mrp_subcontracting.route_resupply_subcontractor_mto")
        subcontract.bom_line_ids.product_id.filtered(
            lambda component: resupply not in component.route_ids
        ).write({"route_ids": [fields.Command.link(resupply.id)]})
        return subcontract
