from odoo import api, fields, models


class OdmPartQuote(models.Model):
    """One priced version of a part: the engine's answer and the parameters it used, frozen.

    Editing prices later never changes a quote already given; re-pricing a line creates a new
    version and the old ones stay for the record.
    """

    _name = "odm.part.quote"
    _description = "Part Quote Version"
    _order = "id desc"

    part_id = fields.Many2one("odm.part", required=True, ondelete="cascade", index=True)
    sale_line_id = fields.Many2one("sale.order.line", ondelete="set null", index=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    material_id = fields.Many2one("odm.material", required=True, ondelete="restrict")
    finish_id = fields.Many2one("odm.finish", ondelete="restrict")
    lead_time_id = fields.Many2one("odm.lead.time.tier", ondelete="restrict")
    quantity = fields.Integer(required=True)
    currency_id = fields.Many2one("res.currency", required=True)
    unit_price = fields.Monetary(required=True)
    total_price = fields.Monetary(required=True)
    lead_time_days = fields.Integer()
    fatal = fields.Boolean(help="A manufacturability check failed.")
    result = fields.Json(required=True, help="The engine's full answer: breakdown, DFM, tiers.")
    parameters = fields.Json(
        required=True,
        groups="base.group_user",
        help="Every parameter the price was computed from (cost rates, markups): staff only.",
    )
    engine_version = fields.Char(required=True)
    breakdown_html = fields.Html(compute="_compute_breakdown_html", sanitize=True)

    @api.depends("result")
    def _compute_breakdown_html(self):
        for quote in self:
            quote.breakdown_html = self.env["ir.qweb"]._render(
                "odm_quote.quote_breakdown", {"quote": quote.result or {}, "record": quote}
            )
