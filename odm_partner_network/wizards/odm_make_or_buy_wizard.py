from odoo import api, fields, models
from odoo.exceptions import UserError


class OdmMakeOrBuyWizard(models.TransientModel):
    """Every option for an order (or one operation) ranked with its reasons, every excluded
    candidate with why, the rules' decision, and the offload in one click."""

    _name = "odm.make.or.buy.wizard"
    _description = "Make or Buy"
    _rec_name = "production_id"

    production_id = fields.Many2one("mrp.production", required=True, readonly=True)
    workorder_id = fields.Many2one("mrp.workorder", readonly=True)
    decision = fields.Selection(
        [("in_house", "Make in-house"), ("offload", "Offload"), ("review", "A person decides")],
        readonly=True,
    )
    decision_reason = fields.Text(readonly=True)
    recommended_line_id = fields.Many2one("odm.make.or.buy.line", readonly=True)
    recommended_partner_id = fields.Many2one(
        related="recommended_line_id.partner_id", string="Recommended partner"
    )
    order_reasons = fields.Text("Why this order", readonly=True)
    loss_warning = fields.Text(
        "Below cost",
        readonly=True,
        help="Options that cost more than the work sells for, with the numbers.",
    )
    line_ids = fields.One2many("odm.make.or.buy.line", "wizard_id", readonly=True)
    option_ids = fields.One2many(
        "odm.make.or.buy.line", "wizard_id", domain=[("excluded", "=", False)], readonly=True
    )
    excluded_ids = fields.One2many(
        "odm.make.or.buy.line", "wizard_id", domain=[("excluded", "=", True)], readonly=True
    )

    @api.model
    def _odm_open(self, production, workorder=None):
        wizard = self._odm_for(production, workorder)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "Make or buy: %(work)s", work=(workorder or production).display_name
            ),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _odm_for(self, production, workorder=None):
        """The wizard filled with the ranking of the order or operation."""
        router = self.env["odm.network.router"]
        ranking, decision, by_key, left_out = router.rank(production, workorder)
        lines = [
            {
                "sequence": rank,
                "partner_id": by_key[option.candidate].id if not option.in_house else False,
                "candidate": option.candidate,
                "in_house": option.in_house,
                "score": option.score,
                "cost": option.cost,
                "shipping_cost": option.shipping_cost,
                "promised_date": option.promised,
                "late_days": option.late_days,
                "distance_km": option.distance_km,
                "explanation": option.explanation,
            }
            for rank, option in enumerate(ranking.options, start=1)
        ]
        lines += [
            {
                "sequence": 1000 + index,
                "partner_id": by_key[exclusion.candidate].id
                if exclusion.candidate in by_key
                else False,
                "candidate": exclusion.candidate,
                "in_house": exclusion.candidate not in by_key,
                "excluded": True,
                "explanation": "; ".join(exclusion.reasons),
            }
            for index, exclusion in enumerate(ranking.excluded)
        ]
        lines += [
            {
                "sequence": 2000 + index,
                "partner_id": partner.id,
                "candidate": partner.name,
                "excluded": True,
                "explanation": reason,
            }
            for index, (partner, reason) in enumerate(left_out)
        ]
        wizard = self.create(
            {
                "production_id": production.id,
                "workorder_id": workorder.id if workorder else False,
                "decision": decision.action,
                "decision_reason": decision.reason,
                "order_reasons": "\n".join(ranking.order_reasons),
                "loss_warning": "\n".join(router._loss_warnings(production, workorder, ranking)),
                "line_ids": [fields.Command.create(values) for values in lines],
            }
        )
        if decision.candidate:
            wizard.recommended_line_id = wizard.option_ids.filtered(
                lambda line: line.candidate == decision.candidate and not line.in_house
            )[:1]
        return wizard

    def action_offload_recommended(self):
        self.ensure_one()
        if not self.recommended_line_id:
            raise UserError(self.env._("The rules recommend no partner: pick an option."))
        return self.recommended_line_id.action_offload()

    def _odm_offload(self, candidate):
        """Offloads to ``candidate``, then to the other on-time partners if it is unavailable;
        ranks again so the figures are today's, not the wizard's."""
        self.ensure_one()
        router = self.env["odm.network.router"]
        ranking, _decision, by_key, _left_out = router.rank(self.production_id, self.workorder_id)
        purchase = router.offload(
            self.production_id, self.workorder_id, router._attempts(ranking, by_key, candidate)
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "purchase.order",
            "res_id": purchase.id,
            "view_mode": "form",
        }
