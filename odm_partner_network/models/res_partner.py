from odoo import api, fields, models

from odm_engine.network import routing


class ResPartner(models.Model):
    _inherit = "res.partner"

    odm_is_manufacturer = fields.Boolean(
        "Manufacturing partner",
        help="A shop of the network that can take over work we cannot make in time or at all.",
    )
    odm_capability_ids = fields.One2many(
        "odm.partner.capability", "partner_id", string="Manufacturing capabilities"
    )
    odm_certification_ids = fields.Many2many("odm.certification", string="Certifications")
    odm_capacity_ids = fields.One2many(
        "odm.partner.capacity", "partner_id", string="Published capacity"
    )
    odm_rate_ids = fields.One2many("odm.partner.rate", "partner_id", string="Rate card")
    odm_agreement_ids = fields.One2many(
        "odm.partner.agreement", "partner_id", string="Network agreements"
    )
    odm_agreement_id = fields.Many2one(
        "odm.partner.agreement",
        "Agreement in force",
        compute="_compute_odm_agreement_id",
        help="The partner's agreement whose state is In force, if any.",
    )
    odm_federation_peer_id = fields.Many2one(
        "odm.federation.peer",
        "Federation peer",
        compute="_compute_odm_federation_peer_id",
        help="How we reach the company's own shop over the network's API, if it runs one.",
    )
    odm_latitude = fields.Float("Latitude", digits=(10, 7))
    odm_longitude = fields.Float("Longitude", digits=(10, 7))
    # Scorecard, from the receipts of the partner's purchase orders (see _compute_odm_scorecard).
    odm_delivery_count = fields.Integer("Deliveries", compute="_compute_odm_scorecard")
    odm_on_time_count = fields.Integer("On time", compute="_compute_odm_scorecard")
    odm_on_time_pct = fields.Float("On-time rate (%)", compute="_compute_odm_scorecard")
    odm_parts_received = fields.Float("Parts received", compute="_compute_odm_scorecard")
    odm_parts_rejected = fields.Float("Parts rejected", compute="_compute_odm_scorecard")
    odm_reject_pct = fields.Float("Reject rate (%)", compute="_compute_odm_scorecard")

    def _odm_rate_for(self, quote):
        """The rate card line that prices ``quote``'s process and material: the material's own
        line, else the process's line for any material (empty: none)."""
        self.ensure_one()
        rates = self.odm_rate_ids.filtered(lambda rate: rate.process_id == quote.process_id)
        return (
            rates.filtered(lambda rate: rate.material_id == quote.material_id)[:1]
            or rates.filtered(lambda rate: not rate.material_id)[:1]
        )

    @api.depends("commercial_partner_id")
    def _compute_odm_federation_peer_id(self):
        # Superuser: every user routing work must know whether a partner is reachable.
        peers = (
            self.env["odm.federation.peer"]
            .sudo()
            .search([("partner_id", "in", self.commercial_partner_id.ids)])
        )
        by_partner = {peer.partner_id: peer for peer in peers}
        for partner in self:
            partner.odm_federation_peer_id = by_partner.get(partner.commercial_partner_id, False)

    @api.depends("odm_agreement_ids.state")
    def _compute_odm_agreement_id(self):
        for partner in self:
            partner.odm_agreement_id = partner.odm_agreement_ids.filtered(
                lambda agreement: agreement.state == "active"
            )[:1]

    def _compute_odm_scorecard(self):
        """Real receipts and quality results, never figures typed in.

        A delivery is a done receipt of one of the partner's purchase orders; it is on time
        when done by the day the order expected it (its Expected Arrival, ``date_planned``).
        Parts received are the quantities of those receipts; parts rejected are what went back
        to the partner by a return of such a receipt plus what was scrapped from it.
        """
        for partner in self:
            history = partner._odm_quality_history()
            partner.odm_delivery_count = history.deliveries
            partner.odm_on_time_count = history.on_time
            partner.odm_parts_received = history.parts
            partner.odm_parts_rejected = history.rejected
            partner.odm_on_time_pct = (
                100.0 * history.on_time / history.deliveries if history.deliveries else 0.0
            )
            partner.odm_reject_pct = (
                100.0 * history.rejected / history.parts if history.parts else 0.0
            )

    def _odm_quality_history(self):
        """The engine's QualityHistory of the partner (and its contacts)."""
        self.ensure_one()
        if not self.id:
            return routing.QualityHistory()
        env = self.sudo().env
        receipts = env["stock.picking"].search(
            [
                ("partner_id", "child_of", self.commercial_partner_id.id),
                ("picking_type_code", "=", "incoming"),
                ("state", "=", "done"),
                ("purchase_id", "!=", False),
            ]
        )
        on_time = sum(
            1
            for receipt in receipts
            if receipt.date_done.date() <= receipt.purchase_id.date_planned.date()
        )
        received = receipts.move_ids.filtered(
            lambda move: move.state == "done" and move.location_id.usage == "supplier"
        )
        returned = env["stock.move"].search(
            [("origin_returned_move_id", "in", received.ids), ("state", "=", "done")]
        )
        scrapped = env["stock.scrap"].search(
            [("picking_id", "in", receipts.ids), ("state", "=", "done")]
        )
        parts = round(sum(received.mapped("product_qty")))
        rejected = round(sum(returned.mapped("product_qty")) + sum(scrapped.mapped("scrap_qty")))
        return routing.QualityHistory(
            deliveries=len(receipts), on_time=on_time, parts=parts, rejected=min(rejected, parts)
        )
