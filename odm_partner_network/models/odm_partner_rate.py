from odoo import api, fields, models
from odoo.exceptions import ValidationError


class OdmPartnerRate(models.Model):
    """A rate card line: what a partner charges per order and per part for a process."""

    _name = "odm.partner.rate"
    _description = "Partner Rate Card Line"
    _order = "partner_id, process_id, material_id"

    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    process_id = fields.Many2one("odm.process", required=True, ondelete="restrict")
    material_id = fields.Many2one(
        "odm.material",
        ondelete="restrict",
        domain="[('process_ids', 'in', process_id)]",
        help="Empty: the price of the process for any material without a line of its own.",
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    setup_price = fields.Monetary(help="Charged once per order.")
    per_part_price = fields.Monetary(help="Charged for every part.")
    material_included = fields.Boolean(
        help="The partner supplies the material and its price includes it: an offloaded order "
        "sends the partner none of ours.",
    )

    @api.constrains("setup_price", "per_part_price")
    def _check_prices(self):
        for rate in self:
            if rate.setup_price < 0 or rate.per_part_price < 0:
                raise ValidationError(
                    self.env._(
                        "Rates of %(partner)s cannot be negative.", partner=rate.partner_id.name
                    )
                )

    @api.constrains("partner_id", "process_id", "material_id")
    def _check_one_rate_per_material(self):
        """One line per process and material, the empty material (any) included."""
        for rate in self:
            twins = self.search_count(
                [
                    ("id", "!=", rate.id),
                    ("partner_id", "=", rate.partner_id.id),
                    ("process_id", "=", rate.process_id.id),
                    ("material_id", "=", rate.material_id.id),
                ]
            )
            if twins:
                raise ValidationError(
                    self.env._(
                        "%(partner)s already has a rate for %(process)s / %(material)s.",
                        partner=rate.partner_id.name,
                        process=rate.process_id.name,
                        material=rate.material_id.name or self.env._("any material"),
                    )
                )

    def _odm_prices(self, currency):
        """(setup, per part) in ``currency``, at today's rate."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        return tuple(
            self.currency_id._convert(price, currency, self.env.company, today)
            for price in (self.setup_price, self.per_part_price)
        )
