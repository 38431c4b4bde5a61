from odoo import api, fields, models


class OdmCorrectionEvidence(models.AbstractModel):
    """The evidence behind a proposed correction ``actual ≈ factor * expected`` (the engine's
    ``actuals.Correction``), shown the same way wherever one is proposed: recalibration from
    finished orders, calibration from a machine's prints."""

    _name = "odm.correction.evidence"
    _description = "Correction Evidence"

    factor = fields.Float(
        digits=(6, 3), readonly=True, help="Median of actual / expected over the samples."
    )
    factor_low = fields.Float("Factor from", digits=(6, 3), readonly=True)
    factor_high = fields.Float(
        "Factor to", digits=(6, 3), readonly=True, help="90 % confidence interval of the factor."
    )
    significant = fields.Boolean(
        readonly=True, help="The interval excludes 1: the expected figures are off beyond doubt."
    )
    samples = fields.Integer(readonly=True, help="Pairs of expected and actual figures used.")
    ignored = fields.Integer(
        readonly=True, help="Samples left out: failed, cancelled, or without an actual figure."
    )
    error_before_pct = fields.Float(
        "Typical error now (%)",
        digits=(6, 1),
        readonly=True,
        help="Median absolute deviation of the actual figures from the expected ones.",
    )
    error_after_pct = fields.Float(
        "Typical error after (%)",
        digits=(6, 1),
        readonly=True,
        help="The same, had the expected figures been corrected by the factor.",
    )

    @api.model
    def _evidence_values(self, correction):
        """The fields' values for an engine ``actuals.Correction``."""
        return {
            "factor": correction.factor,
            "factor_low": correction.low,
            "factor_high": correction.high,
            "significant": correction.significant,
            "samples": correction.samples,
            "ignored": correction.ignored,
            "error_before_pct": correction.mdape_before * 100,
            "error_after_pct": correction.mdape_after * 100,
        }
