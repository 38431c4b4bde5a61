import shutil
from unittest import skipIf

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.queue_job.job import Job

from .common import PartCase, box_stl


@tagged("post_install", "-at_install")
@skipIf(shutil.which("prusa-slicer") is None, "prusa-slicer is not installed")
class TestPreciseQuote(PartCase):
    def setUp(self):
        super().setUp()
        self.upload({"housing.stl": box_stl(40, 30, 20)}, quantity=20)
        self.line = self.order.order_line

    def _slice(self, line=None):
        """Runs the line's slicing job as the job runner would: the upload queued it, and
        asking for a precise quote again does not queue a second one."""
        line = line or self.line
        self.assertEqual(line.odm_precise_state, "queued")
        line.action_odm_precise_quote()
        queued = (
            self.env["queue.job"]
            .search([("method_name", "=", "_odm_precise_reprice"), ("state", "=", "pending")])
            .filtered(lambda job: job.records == line)
        )
        self.assertEqual(len(queued), 1)
        Job.load(self.env, queued.uuid).perform()

    def test_slicing_replaces_the_estimate_and_leaves_a_sample(self):
        instant = self.line.odm_quote_id
        self._slice()
        precise = self.line.odm_quote_id
        self.assertNotEqual(precise, instant)
        self.assertEqual(self.line.odm_precise_state, "done")
        sliced = precise.parameters["slice"]
        self.assertEqual(sliced["printer"], "MK4", "the MK4S machine type's profile")
        self.assertAlmostEqual(precise.result["print_time_s"], sliced["print_time_s"], places=3)
        self.assertAlmostEqual(precise.result["material_g"], sliced["filament_g"], places=3)
        self.assertEqual(self.line.price_unit, precise.unit_price)
        sample = self.fdm.slice_sample_ids
        self.assertEqual(len(sample), 1)
        self.assertEqual(sample.estimate_print_time_s, instant.result["print_time_s"])
        self.assertEqual(sample.slicer_material_g, sliced["filament_g"])
        self.assertIn("Sliced on MK4", self.line.odm_precise_message)

    def test_quantity_change_keeps_the_slicer_figures(self):
        self._slice()
        sliced_time = self.line.odm_quote_id.result["print_time_s"]
        self.line.product_uom_qty = 50
        self.assertEqual(self.line.odm_quote_id.quantity, 50)
        self.assertEqual(self.line.odm_quote_id.result["print_time_s"], sliced_time)

    def test_lines_of_unsliced_processes_are_not_sliced(self):
        self.line.write(
            {"odm_process_id": self.env.ref("odm_quote.process_sls").id, "odm_material_id": False}
        )
        with self.assertRaisesRegex(Exception, "Only FDM and SLA"):
            self.line.action_odm_precise_quote()

    def test_calibration_from_samples_changes_instant_quotes_and_shows_a_range(self):
        with self.assertRaisesRegex(ValidationError, "3 or more"):
            self.fdm.action_recalibrate()
        for extents in ((20, 20, 20), (60, 10, 10)):
            self.upload({f"cal_{extents[0]}.stl": box_stl(*extents)}, quantity=20)
        for line in self.order.order_line:
            self._slice(line)
        self.fdm.action_recalibrate()
        calibration = self.fdm.calibration
        self.assertEqual(calibration["print_time_s"]["samples"], 3)
        self.assertIn("print_time_s", self.fdm.calibration_summary)
        other = self.env["sale.order"].create({"partner_id": self.customer.id})
        self.upload({"new.stl": box_stl(35, 25, 15)}, order=other, quantity=20)
        calibrated = other.order_line.odm_quote_id
        figures = calibrated.parameters["calibrated"]["print_time_s"]
        self.assertAlmostEqual(
            figures["value"], figures["estimate"] * calibration["print_time_s"]["factor"], places=6
        )
        self.assertLess(figures["low"], figures["value"])
        self.assertAlmostEqual(calibrated.result["print_time_s"], figures["value"], places=6)
        self.assertIn("calibrated against the slicer", calibrated.breakdown_html)
