from odoo import api, fields, models

from odoo.addons.odm_quote.models.odm_request_quota import QuotaLimits


class OdmRequestQuota(models.Model):
    """Federation peers are counted too, each by its peer record, with their own limits."""

    _inherit = "odm.request.quota"

    kind = fields.Selection(selection_add=[("peer", "Network peer")], ondelete={"peer": "cascade"})

    @api.model
    def _odm_limits(self, kind):
        if kind != "peer":
            return super()._odm_limits(kind)
        company = self.env.company.sudo()
        return QuotaLimits(
            company.odm_peer_requests_per_minute,
            company.odm_peer_parts_per_minute,
            company.odm_peer_mb_per_day,
        )
