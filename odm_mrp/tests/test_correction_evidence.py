from odoo.tests import TransactionCase, tagged

from odm_engine.pricing.actuals import fit_correction


@tagged("post_install", "-at_install")
class TestCorrectionEvidence(TransactionCase):
    """One spelling of a correction's evidence for every wizard that proposes one."""

    def test_a_correction_gives_its_factor_interval_samples_and_errors(self):
        correction = fit_correction([(100, 120), (100, 125), (100, 130), (200, 250), (100, 0)])
        values = self.env["odm.correction.evidence"]._evidence_values(correction)
        self.assertEqual(
            values,
            {
                "factor": correction.factor,
                "factor_low": correction.low,
                "factor_high": correction.high,
                "significant": True,
                "samples": 4,
                "ignored": 1,
                "error_before_pct": 25.0,
                "error_after_pct": correction.mdape_after * 100,
            },
        )
        self.assertAlmostEqual(values["factor"], 1.25)
        self.assertAlmostEqual(values["error_after_pct"], 2.0)
