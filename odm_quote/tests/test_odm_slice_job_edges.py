"""The background slice of a cart line when the slicer cannot run it: a material without a
slicer profile, a line removed before its job ran. Both happen on the portal every day (the
load benchmark re-prices in random materials and removes lines seconds after the upload)."""

from odoo.tests import tagged

from odoo.addons.queue_job.job import Job

from .common import PartCase, box_stl


@tagged("post_install", "-at_install")
class TestSliceJobEdges(PartCase):
    def setUp(self):
        super().setUp()
        self.upload({"bracket.stl": box_stl(30, 20, 10)}, quantity=5)
        self.line = self.order.order_line
        self.job = (
            self.env["queue.job"]
            .search([("method_name", "=", "_odm_precise_reprice"), ("state", "=", "pending")])
            .filtered(lambda job: job.records == self.line)
        )
        self.assertEqual(len(self.job), 1, "the upload queued the line's slice")

    def test_material_without_slicer_profile_keeps_the_estimate(self):
        tpu = self.env["odm.material"].search([("code", "=", "TPU")], limit=1)
        self.assertTrue(tpu, "an FDM material the slicer has no profile for")
        estimate = self.line.odm_quote_id
        self.line.odm_material_id = tpu  # was a ValueError: an error page on the portal
        self.assertNotEqual(self.line.odm_quote_id, estimate, "re-priced in TPU")
        self.assertEqual(self.line.odm_quote_id.result["material"], "TPU")
        self.assertGreater(self.line.price_unit, 0)
        Job.load(self.env, self.job.uuid).perform()
        self.assertEqual(self.line.odm_precise_state, "failed")
        self.assertIn("no slicer profile for material 'TPU'", self.line.odm_precise_message)

    def test_job_of_a_removed_line_ends_quietly(self):
        self.line.unlink()
        # Was a MissingError: the job failed, and queue_job's runner logged it as an error.
        self.assertIsNone(Job.load(self.env, self.job.uuid).perform())
