from odoo import api, fields, models
from odoo.exceptions import ValidationError

THROTTLING_FIELDS = (
    "odm_visitor_requests_per_minute",
    "odm_visitor_parts_per_minute",
    "odm_customer_requests_per_minute",
    "odm_customer_parts_per_minute",
    "odm_customer_mb_per_day",
)


class ResCompany(models.Model):
    _inherit = "res.company"

    odm_default_process_id = fields.Many2one("odm.process", string="Default process")
    odm_default_lead_time_id = fields.Many2one("odm.lead.time.tier", string="Default lead time")
    odm_comparison_quantities = fields.Char(
        "Comparison quantities",
        default="1,10,100,1000,10000",
        help="Quantities at which every feasible process is priced side by side.",
    )
    odm_max_upload_mb = fields.Integer(
        "Largest upload (MB)", default=100, help="Larger files are refused before analysis."
    )
    odm_max_triangles = fields.Integer(
        "Most triangles", default=4_000_000, help="Meshes with more triangles are refused."
    )
    odm_max_quantity = fields.Integer(
        "Largest quantity",
        default=1_000_000,
        help="Requests from the portal and the APIs for more parts are refused.",
    )
    odm_request_owner_rule = fields.Selection(
        [
            ("customer", "The customer's salesperson, else the default"),
            ("default", "Always the default salesperson and team"),
        ],
        "Owner of customer requests",
        default="customer",
        required=True,
        help="Who owns a quotation a customer requests on the portal or an API.",
    )
    odm_request_user_id = fields.Many2one(
        "res.users",
        "Default salesperson for requests",
        domain="[('share', '=', False)]",
        help="Empty: the leader of the default sales team.",
    )
    odm_request_team_id = fields.Many2one(
        "crm.team",
        "Default sales team for requests",
        help="Empty: the salesperson's team, else the company's first sales team.",
    )
    odm_auto_slice = fields.Boolean(
        "Slice FDM and SLA lines in the background",
        default=True,
        help="Each FDM and SLA line of a quotation not yet accepted is sliced in the background "
        "and re-priced with the slicer's time and material.",
    )
    odm_slice_alert_percent = fields.Float(
        "Tell the salesperson above (%)",
        default=10.0,
        help="When a slice lands after the customer accepted, the accepted price stays; a "
        "difference above this share of it gives the salesperson an activity.",
    )
    odm_public_upload = fields.Boolean(
        "Public instant quotes", help="Let visitors who are not logged in get instant quotes."
    )
    # What buyers see of a quote (portal, quote API, PDF): odm_engine.pricing.price_grid.
    odm_customer_breakdown = fields.Selection(
        [
            ("full", "Itemised"),
            ("summary", "Summary"),
            ("none", "None"),
        ],
        "Price breakdown for customers",
        default="summary",
        required=True,
        help="What customers see of how a price is made: every item, a few groups (material, "
        "machine time, setup, post-processing, options) or nothing. The margin is always spread "
        "over the items, never shown.",
    )
    odm_customer_comparison = fields.Boolean(
        "Process comparison for customers",
        default=True,
        help="Show customers each process's price at the comparison quantities and the "
        "quantity from which another process (e.g. moulding) becomes cheaper.",
    )
    odm_report_price_grid = fields.Boolean(
        "Price grid on quotations",
        help="Print each part's quantity x lead-time price grid on the quotation PDF.",
    )
    # Throttling (odm.request.quota): 0 is unlimited.
    odm_visitor_requests_per_minute = fields.Integer(
        "Visitor requests per minute",
        default=10,
        help="Uploads a visitor who is not logged in may send per minute, per IP address.",
    )
    odm_visitor_parts_per_minute = fields.Integer(
        "Visitor part files per minute",
        default=20,
        help="Part files (zip archives counted by their content) a visitor may have priced "
        "per minute, per IP address.",
    )
    odm_customer_requests_per_minute = fields.Integer(
        "Customer requests per minute",
        default=30,
        help="Uploads and re-pricings a customer company may send per minute, on the portal "
        "and the quote API together.",
    )
    odm_customer_parts_per_minute = fields.Integer(
        "Customer part files per minute",
        default=100,
        help="Part files a customer company may have analysed per minute.",
    )
    odm_customer_mb_per_day = fields.Integer(
        "Customer MB stored per day",
        default=500,
        help="Megabytes of part files a customer company may store per day.",
    )

    def _odm_request_owner(self, partner):
        """(salesperson, sales team) of a request from ``partner``, by the company's rule."""
        self.ensure_one()
        commercial = partner.commercial_partner_id
        user = self.env["res.users"]
        if self.odm_request_owner_rule == "customer":
            user = partner.user_id or commercial.user_id
            if user.share or (user and self not in user.company_ids):
                user = user.browse()
        teams = self.env["crm.team"].search([("company_id", "in", (self.id, False))])
        team = self.odm_request_team_id or user.sale_team_id or teams[:1]
        user = user or self.odm_request_user_id or team.user_id or team.member_ids[:1]
        return user, team

    def odm_comparison_quantity_list(self):
        self.ensure_one()
        try:
            quantities = tuple(
                int(part) for part in (self.odm_comparison_quantities or "").split(",") if part
            )
        except ValueError:
            quantities = ()
        if not quantities or min(quantities) < 1:
            raise ValidationError(
                self.env._("Comparison quantities must be whole numbers separated by commas.")
            )
        return quantities

    @api.constrains(
        "odm_comparison_quantities", "odm_max_upload_mb", "odm_max_triangles", "odm_max_quantity"
    )
    def _check_odm_settings(self):
        for company in self:
            company.odm_comparison_quantity_list()
            if company.odm_max_upload_mb < 1 or company.odm_max_triangles < 1000:
                raise ValidationError(
                    self.env._("Upload limits must allow at least 1 MB and 1,000 triangles.")
                )
            if company.odm_max_quantity < 1:
                raise ValidationError(self.env._("The largest quantity must be at least 1."))

    @api.constrains(*THROTTLING_FIELDS)
    def _check_odm_throttling(self):
        for company in self:
            if any(company[name] < 0 for name in THROTTLING_FIELDS):
                raise ValidationError(
                    self.env._("Throttling limits cannot be negative; 0 means unlimited.")
                )
