from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    odm_default_process_id = fields.Many2one(
        related="company_id.odm_default_process_id", readonly=False
    )
    odm_default_lead_time_id = fields.Many2one(
        related="company_id.odm_default_lead_time_id", readonly=False
    )
    odm_comparison_quantities = fields.Char(
        related="company_id.odm_comparison_quantities", readonly=False
    )
    odm_max_upload_mb = fields.Integer(related="company_id.odm_max_upload_mb", readonly=False)
    odm_max_triangles = fields.Integer(related="company_id.odm_max_triangles", readonly=False)
    odm_public_upload = fields.Boolean(related="company_id.odm_public_upload", readonly=False)
    odm_auto_slice = fields.Boolean(related="company_id.odm_auto_slice", readonly=False)
    odm_slice_alert_percent = fields.Float(
        related="company_id.odm_slice_alert_percent", readonly=False
    )
    odm_customer_breakdown = fields.Selection(
        related="company_id.odm_customer_breakdown", readonly=False
    )
    odm_customer_comparison = fields.Boolean(
        related="company_id.odm_customer_comparison", readonly=False
    )
    odm_report_price_grid = fields.Boolean(
        related="company_id.odm_report_price_grid", readonly=False
    )
    odm_max_quantity = fields.Integer(related="company_id.odm_max_quantity", readonly=False)
    odm_visitor_requests_per_minute = fields.Integer(
        related="company_id.odm_visitor_requests_per_minute", readonly=False
    )
    odm_visitor_parts_per_minute = fields.Integer(
        related="company_id.odm_visitor_parts_per_minute", readonly=False
    )
    odm_customer_requests_per_minute = fields.Integer(
        related="company_id.odm_customer_requests_per_minute", readonly=False
    )
    odm_customer_parts_per_minute = fields.Integer(
        related="company_id.odm_customer_parts_per_minute", readonly=False
    )
    odm_customer_mb_per_day = fields.Integer(
        related="company_id.odm_customer_mb_per_day", readonly=False
    )
    odm_request_owner_rule = fields.Selection(
        related="company_id.odm_request_owner_rule", readonly=False
    )
    odm_request_user_id = fields.Many2one(related="company_id.odm_request_user_id", readonly=False)
    odm_request_team_id = fields.Many2one(related="company_id.odm_request_team_id", readonly=False)
    odm_analysis_timeout_s = fields.Integer(
        "Analysis time limit (s)",
        config_parameter="odm_quote.analysis_timeout_s",
        default=60,
        help="Longest time one file's analysis may take; a file that needs longer is refused.",
    )
    odm_request_analysis_timeout_s = fields.Integer(
        "Analysis time per request (s)",
        config_parameter="odm_quote.request_analysis_timeout_s",
        default=180,
        help="Longest time all the files of one upload may take together; the files left when "
        "it is spent are refused, so a request of many slow files cannot hold a worker.",
    )
    odm_analysis_memory_mb = fields.Integer(
        "Analysis memory limit (MB)",
        config_parameter="odm_quote.analysis_memory_mb",
        default=4096,
        help="Most memory one file's analysis may use; a file that needs more is refused.",
    )
