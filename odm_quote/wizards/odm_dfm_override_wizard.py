from odoo import fields, models
from odoo.exceptions import AccessError


class OdmDfmOverrideWizard(models.TransientModel):
    """A manager accepts blocking manufacturability findings, with a reason kept in the chatter."""

    _name = "odm.dfm.override.wizard"
    _description = "Override Manufacturability Block"

    order_id = fields.Many2one("sale.order", required=True)
    reason = fields.Text(required=True, help="Why the shop accepts to make these parts anyway.")

    def action_override(self):
        self.ensure_one()
        if not self.env.user.has_group("odm_quote.group_odm_quote_manager"):
            raise AccessError(self.env._("Only a quoting manager can override a DFM block."))
        lines = self.order_id._odm_blocking_lines()
        lines.sudo().write({"odm_dfm_override": True})
        findings = [
            f"{line.odm_part_id.name}: {issue['message']}"
            for line in lines
            for issue in line.odm_quote_id.result.get("dfm", [])
            if issue["severity"] == "fatal"
        ]
        order = self.order_id
        order.message_post(
            body=self.env._(
                "Manufacturability block overridden by %(user)s. Reason: %(reason)s. "
                "Findings accepted: %(findings)s",
                user=self.env.user.name,
                reason=self.reason,
                findings="; ".join(findings),
            )
        )
        # The review the request asked for is done; a customer waiting for it is told.
        review = self.env.ref("odm_quote.mail_activity_type_dfm_review")
        order.activity_ids.filtered(lambda a: a.activity_type_id == review).sudo().action_feedback(
            feedback=self.reason
        )
        if order.state == "sent":
            order._odm_mail_customer("odm_quote.mail_template_quotation_ready")
        return {"type": "ir.actions.act_window_close"}
