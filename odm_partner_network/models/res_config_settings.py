from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    odm_offload_within_pct = fields.Float(
        related="company_id.odm_offload_within_pct", readonly=False
    )
    odm_auto_offload = fields.Boolean(related="company_id.odm_auto_offload", readonly=False)
    odm_min_on_time_pct = fields.Float(related="company_id.odm_min_on_time_pct", readonly=False)
    odm_max_reject_pct = fields.Float(related="company_id.odm_max_reject_pct", readonly=False)
    odm_shipping_cost_per_km = fields.Float(
        related="company_id.odm_shipping_cost_per_km", readonly=False
    )
    odm_max_distance_km = fields.Float(related="company_id.odm_max_distance_km", readonly=False)
    odm_late_penalty_pct_per_day = fields.Float(
        related="company_id.odm_late_penalty_pct_per_day", readonly=False
    )
    odm_peer_requests_per_minute = fields.Integer(
        related="company_id.odm_peer_requests_per_minute", readonly=False
    )
    odm_peer_parts_per_minute = fields.Integer(
        related="company_id.odm_peer_parts_per_minute", readonly=False
    )
    odm_peer_mb_per_day = fields.Integer(related="company_id.odm_peer_mb_per_day", readonly=False)
