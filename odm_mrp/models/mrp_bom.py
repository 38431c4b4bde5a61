from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from odm_engine.scheduling.routing import RoutingError, RoutingStep, cycle_minutes, quote_figures


class MrpBom(models.Model):
    """A quoted part's BoM: one per quote version, the newest being the product's current one.

    Manufacturing orders copy their BoM's components and operations when they are created, so a
    newer quote version never changes an order already made.
    """

    _inherit = "mrp.bom"

    odm_quote_id = fields.Many2one(
        "odm.part.quote", "Quote version", index=True, ondelete="restrict", copy=False
    )

    @api.model
    def _odm_for_quote(self, quote, product):
        """The BoM of this quote version for the product, made from the quote when missing."""
        bom = self.search(
            [("odm_quote_id", "=", quote.id), ("product_id", "=", product.id)], limit=1
        )
        return bom or self._odm_create_from_quote(quote, product)

    @api.model
    def _odm_made_elsewhere(self, quote):
        """Whether someone outside the shop makes the quote's part when no machine of ours
        can; its BoM then has no operations of ours (see odm_partner_network)."""
        quote.ensure_one()
        return False

    def _odm_operations(self, quote, product, figures, machines):
        """The routing template's steps as BoM operations, machine steps on ``machines``."""
        template = self.env["odm.routing.template"]._for_process(quote.process_id)
        operations = []
        for step in template.line_ids:
            if step.workcenter_source == "machine" and not machines:
                raise UserError(
                    self.env._(
                        "No %(process)s machine runs %(material)s with room for %(part)s "
                        "(%(size)s).",
                        process=quote.process_id.name,
                        material=quote.material_id.name,
                        part=quote.part_id.name,
                        size=quote.part_id.dimensions,
                    )
                )
            workcenter = (
                machines[:1].workcenter_id
                if step.workcenter_source == "machine"
                else (step.workcenter_id)
            )
            minutes = cycle_minutes(
                step._routing_step(), figures, workcenter._get_capacity(product)
            )
            operations.append(
                fields.Command.create(
                    {
                        "name": step.name,
                        "sequence": step.sequence,
                        "workcenter_id": workcenter.id,
                        "time_mode": "manual",
                        "time_cycle_manual": minutes,
                    }
                )
            )
        return operations

    def _odm_with_specification(self, quote, product, figures, operations):
        """The customer's specification where operators see it: in every operation's
        instructions with the technical drawing as its worksheet, and an inspection operation
        (after the last one, its quoted minutes) when the customer asked for inspection."""
        spec = (quote.result or {}).get("specification")
        lines = self.env["odm.part.specification"]._odm_describe(spec)
        if not (lines and operations):
            return operations
        note = Markup("<p>%s</p>") % Markup("<br/>").join(lines)
        drawing = quote.sale_line_id.sudo().odm_specification_ids[:1].drawing
        sheet = {"worksheet_type": "pdf", "worksheet": drawing} if drawing else {}
        for _create, _id, values in operations:
            values.update(note=note, **sheet)
        inspection = next(
            (item for item in quote.result["breakdown"] if item["code"] == "inspection"), None
        )
        if inspection:
            last = operations[-1][2]
            name = self.env["odm.part.specification"]._odm_inspection_label(spec["inspection"])
            step = RoutingStep(name, "part", inspection["inputs"]["minutes_per_part"])
            workcenter = self.env["mrp.workcenter"].browse(last["workcenter_id"])
            operations.append(
                fields.Command.create(
                    {
                        **sheet,
                        "name": name,
                        "sequence": last["sequence"] + 1,
                        "workcenter_id": workcenter.id,
                        "time_mode": "manual",
                        "time_cycle_manual": cycle_minutes(
                            step, figures, workcenter._get_capacity(product)
                        ),
                        "note": note,
                    }
                )
            )
        return operations

    def _odm_create_from_quote(self, quote, product):
        material = quote.material_id
        if not material.product_id:
            raise UserError(
                self.env._(
                    "Material %(material)s has no raw material product: set one on the material "
                    "so that %(part)s can be made.",
                    material=material.name,
                    part=quote.part_id.name,
                )
            )
        try:
            figures = quote_figures(quote.result, quote.parameters)
        except RoutingError as error:
            raise UserError(
                self.env._("%(part)s: %(error)s", part=quote.part_id.name, error=error)
            ) from error
        machines = quote.with_env(self.env)._odm_capable_machines()
        if machines or not self._odm_made_elsewhere(quote):
            operations = self._odm_with_specification(
                quote, product, figures, self._odm_operations(quote, product, figures, machines)
            )
        else:
            operations = []
        self.search([("product_tmpl_id", "=", product.product_tmpl_id.id)]).sequence = 2
        return self.create(
            {
                "product_tmpl_id": product.product_tmpl_id.id,
                "product_id": product.id,
                "product_qty": 1.0,
                "type": "normal",
                "sequence": 1,
                "code": self.env._("Quote %(version)s", version=quote.id),
                "odm_quote_id": quote.id,
                "bom_line_ids": [
                    fields.Command.create(
                        {
                            "product_id": material.product_id.id,
                            "product_qty": figures.material_with_waste_g,
                            "product_uom_id": self.env.ref("uom.product_uom_gram").id,
                        }
                    )
                ],
                "operation_ids": operations,
            }
        )
