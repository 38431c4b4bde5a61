from odoo import fields, models


class OdmPart(models.Model):
    _inherit = "odm.part"

    odm_confidential = fields.Boolean(
        "Confidential",
        help="The part goes only to partners whose agreement has a signed NDA.",
    )
