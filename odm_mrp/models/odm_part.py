import base64
import logging

from odoo import fields, models

from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.loaders import load_part
from odm_engine.packing import nesting

_logger = logging.getLogger(__name__)


class OdmPart(models.Model):
    _inherit = "odm.part"

    odm_footprint = fields.Json(
        "Plate footprint",
        readonly=True,
        copy=False,
        help="Outline of the part on a build plate, standing as it is built (mm); read from the "
        "file once, for build jobs.",
    )

    product_ids = fields.One2many("product.template", "odm_part_id", string="Revision products")
    odm_product_count = fields.Integer(
        compute="_compute_odm_production_counts", groups="odm_mrp.group_odm_production_user"
    )
    odm_bom_count = fields.Integer(
        compute="_compute_odm_production_counts", groups="odm_mrp.group_odm_production_user"
    )
    odm_production_count = fields.Integer(
        compute="_compute_odm_production_counts", groups="odm_mrp.group_odm_production_user"
    )

    def _compute_odm_production_counts(self):
        for part in self:
            templates = part.product_ids
            part.odm_product_count = len(templates)
            part.odm_bom_count = len(templates.bom_ids)
            part.odm_production_count = self.env["mrp.production"].search_count(
                [("product_tmpl_id", "in", templates.ids)]
            )

    def action_odm_view_products(self):
        return self._odm_action("product.product_template_action", self.product_ids.ids)

    def action_odm_view_boms(self):
        return self._odm_action("mrp.mrp_bom_form_action", self.product_ids.bom_ids.ids)

    def action_odm_view_productions(self):
        productions = self.env["mrp.production"].search(
            [("product_tmpl_id", "in", self.product_ids.ids)]
        )
        return self._odm_action("mrp.mrp_production_action", productions.ids)

    def _odm_action(self, xmlid, ids):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action.update({"domain": [("id", "in", ids)], "context": {"create": False}})
        return action

    def _odm_plate_footprint(self):
        """The part's outline on the plate, standing as odm_quote chose to build it, read from
        the file once and kept (a part's file and orientation never change); None, and the
        part runs alone, when the file or its orientation cannot be read again."""
        self.ensure_one()
        if not self.odm_footprint:
            try:
                mesh = load_part(
                    base64.b64decode(self.with_context(bin_size=False).file),
                    self.file_name,
                    unit=self.unit,
                    limits=self.env["odm.pricing"].engine_limits(),
                )
                outline = nesting.footprint_in(
                    mesh.vertices, self.analysis["orientation"]["rotation"]
                )
            except (KeyError, TypeError, MeshError, nesting.PackingError) as error:
                _logger.warning("Part %s stays out of build jobs: %s", self.display_name, error)
                return None
            self.sudo().odm_footprint = outline.tolist()
        return self.odm_footprint
