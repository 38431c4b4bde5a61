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
        "Median error now (%)",
        digits=(6, 1),
        readonly=True,
        help="How far the actual figures were from the expected ones, as a median: half of "
        "the samples were off by less than this.",
    )
    error_after_pct = fields.Float(
        "Median error after correction (%)",
        digits=(6, 1),
        readonly=True,
        help="The same median had the expected figures been multiplied by the factor: half of "
        "these past samples would have been off by less than this. It describes the samples "
        "the factor was fitted on; a new one can stray further (see the range for the next "
        "one, where shown).",
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
