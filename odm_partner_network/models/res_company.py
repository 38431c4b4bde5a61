from odoo import api, fields, models
from odoo.exceptions import ValidationError

PEER_THROTTLING_FIELDS = (
    "odm_peer_requests_per_minute",
    "odm_peer_parts_per_minute",
    "odm_peer_mb_per_day",
)


class ResCompany(models.Model):
    """The make-or-buy rules of the company (engine ``Rules``)."""

    _inherit = "res.company"

    odm_offload_within_pct = fields.Float(
        "Offload within (%)",
        default=10.0,
        help="Offload to an on-time partner costing at most this much more than in-house.",
    )
    odm_auto_offload = fields.Boolean(
        "Offload late orders automatically",
        default=True,
        help="Route late orders places the order with the chosen partner; off: it only "
        "reports what it would do.",
    )
    odm_min_on_time_pct = fields.Float("Minimum on-time (%)", default=80.0)
    odm_max_reject_pct = fields.Float("Maximum rejects (%)", default=5.0)
    odm_shipping_cost_per_km = fields.Float("Shipping cost per km", default=0.5)
    odm_max_distance_km = fields.Float(
        "Maximum distance (km)", help="Partners farther away are left out; 0: no limit."
    )
    odm_late_penalty_pct_per_day = fields.Float(
        "Lateness penalty (% per day)",
        default=5.0,
        help="Share of the order's value a day of lateness costs us, when ranking.",
    )
    # Throttling of the federation API (odm.request.quota), per peer: 0 is unlimited.
    odm_peer_requests_per_minute = fields.Integer(
        "Peer requests per minute",
        default=60,
        help="Federation API calls a partner shop may make per minute.",
    )
    odm_peer_parts_per_minute = fields.Integer(
        "Peer part files per minute",
        default=100,
        help="Part files a partner shop may send to be analysed per minute.",
    )
    odm_peer_mb_per_day = fields.Integer(
        "Peer MB stored per day",
        default=1000,
        help="Megabytes of part files a partner shop may store per day.",
    )

    @api.constrains(*PEER_THROTTLING_FIELDS)
    def _check_odm_peer_throttling(self):
        for company in self:
            if any(company[name] < 0 for name in PEER_THROTTLING_FIELDS):
                raise ValidationError(
                    self.env._("Throttling limits cannot be negative; 0 means unlimited.")
                )
