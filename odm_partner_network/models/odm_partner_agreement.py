from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odm_engine.network.routing import SHARING_LEVELS


class OdmPartnerAgreement(models.Model):
    """The network agreement with a partner: its rights (what we may send it), its
    responsibilities (service level) and its reward (commission). A part's file travels to a
    partner only where the agreement in force allows it."""

    _name = "odm.partner.agreement"
    _description = "Network Agreement"
    _inherit = ["mail.thread"]
    _order = "partner_id, date_start desc, id desc"

    name = fields.Char(required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True, tracking=True
    )
    state = fields.Selection(
        [("draft", "Draft"), ("active", "In force"), ("ended", "Ended")],
        required=True,
        default="draft",
        tracking=True,
    )
    active = fields.Boolean(default=True)
    date_start = fields.Date("Start", default=fields.Date.context_today)
    date_end = fields.Date("End")
    sharing_level = fields.Selection(
        [
            ("capacity", "Capacity only"),
            ("metrics", "Geometry metrics"),
            ("geometry", "Full geometry"),
        ],
        required=True,
        default="capacity",
        tracking=True,
        help="Capacity only: nothing about the part is sent. Geometry metrics: its size, volume "
        "and quantities in the purchase order's note. Full geometry: the 3D file and its "
        "specification are attached to the purchase order.",
    )
    nda_signed = fields.Boolean("NDA signed", tracking=True)
    nda_date = fields.Date("NDA date")
    commission_pct = fields.Float(
        "Commission (%)", help="The network's share, added to the partner's price when ranking."
    )
    target_on_time_pct = fields.Float("Target on-time (%)", default=95.0)
    max_reject_pct = fields.Float("Maximum rejects (%)", default=2.0)
    lead_days = fields.Integer(help="Days the partner adds before its work starts.")
    rfq_first = fields.Boolean(
        "Request for quotation first",
        tracking=True,
        help="The partner confirms price and date before it takes work: an offload stays a "
        "request for quotation, and the work is handed over when a buyer confirms it.",
    )
    note = fields.Html("Terms")

    @api.constrains("state", "partner_id", "active")
    def _check_one_in_force(self):
        for agreement in self.filtered(lambda a: a.state == "active" and a.active):
            others = self.search_count(
                [
                    ("id", "!=", agreement.id),
                    ("partner_id", "=", agreement.partner_id.id),
                    ("state", "=", "active"),
                ]
            )
            if others:
                raise ValidationError(
                    self.env._(
                        "%(partner)s already has an agreement in force: end it first.",
                        partner=agreement.partner_id.name,
                    )
                )

    @api.constrains(
        "commission_pct", "target_on_time_pct", "max_reject_pct", "lead_days", "nda_signed"
    )
    def _check_terms(self):
        for agreement in self:
            percentages = (
                agreement.commission_pct,
                agreement.target_on_time_pct,
                agreement.max_reject_pct,
            )
            if not all(0 <= value <= 100 for value in percentages) or agreement.lead_days < 0:
                raise ValidationError(
                    self.env._(
                        "%(name)s: percentages go from 0 to 100 and lead days cannot be negative.",
                        name=agreement.name,
                    )
                )
            if agreement.nda_signed and not agreement.nda_date:
                raise ValidationError(
                    self.env._("%(name)s: give the date the NDA was signed.", name=agreement.name)
                )

    def action_activate(self):
        self.state = "active"

    def action_end(self):
        self.write({"state": "ended", "date_end": fields.Date.context_today(self)})

    def _odm_allows(self, level):
        """Whether the agreement shares at least ``level`` (capacity < metrics < geometry)."""
        self.ensure_one()
        return SHARING_LEVELS.index(self.sharing_level) >= SHARING_LEVELS.index(level)

    def _odm_may_send(self, part, level):
        """Whether ``part`` may go to the partner at ``level``: an agreement in force (this
        record; empty: none) that shares that much, and its NDA when the part is confidential."""
        return (
            bool(self)
            and self._odm_allows(level)
            and (self.nda_signed or not part.odm_confidential)
        )
