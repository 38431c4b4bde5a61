from odoo.tests import tagged

from odm_engine.pricing.processes.plate import LAYER_TABLES, prices_by_layers

from .common import PartCase, box_stl


@tagged("post_install", "-at_install")
class TestPartRefresh(PartCase):
    """An upgrade that changes a stored layer table analyses the affected parts again."""

    def _part(self, *extents, name="bracket.stl"):
        return self.env["odm.part"].from_upload(box_stl(*extents), name, partner=self.customer)

    def _store_old_sla_table(self, part):
        analysis = dict(part.analysis)
        analysis["sla_layers"] = dict(analysis["sla_layers"], version=1)
        part.write({"analysis": analysis})

    def test_stale_parts_get_one_job_each_and_prices_by_layers_again(self):
        stale, current = self._part(30, 20, 10), self._part(12, 12, 12, name="cube.stl")
        self._store_old_sla_table(stale)
        self.assertFalse(prices_by_layers("sla", stale.analysis), "falls back to the formula")
        queued = self.env["odm.part"]._odm_queue_stale_refresh()
        self.assertIn(stale, queued)
        self.assertNotIn(current, queued)
        jobs = self.env["queue.job"].search([("method_name", "=", "_odm_refresh_analysis")])
        self.assertEqual(sorted(job.records.id for job in jobs), sorted(queued.ids))

        unit, inferred, thumbnail = stale.unit, stale.unit_inferred, stale.thumbnail
        self.assertEqual(stale._odm_refresh_analysis(), "analysed again for sla")
        self.assertTrue(prices_by_layers("sla", stale.analysis))
        self.assertTrue(prices_by_layers("fdm", stale.analysis))
        self.assertEqual((stale.unit, stale.unit_inferred), (unit, inferred))
        self.assertEqual(stale.analysis["unit_inferred"], inferred)
        self.assertAlmostEqual(stale.volume_mm3, 30 * 20 * 10, delta=1)
        self.assertTrue(stale.thumbnail and thumbnail)

    def test_current_part_is_left_alone(self):
        part = self._part(20, 20, 5)
        before = part.analysis
        self.assertEqual(part._odm_refresh_analysis(), "up to date")
        self.assertEqual(part.analysis, before)
        for tables in LAYER_TABLES.values():
            self.assertEqual(part.analysis[tables.ANALYSIS_KEY]["version"], tables.TABLE_VERSION)
