from odoo.tests import tagged

from .common import MachineLinkCase, fdm_machine, ready_box_workorder


@tagged("post_install", "-at_install")
class TestBuildJobOffline(MachineLinkCase):
    """A printer that goes offline keeps none of its plates: the next re-plan moves the work
    orders of the build job packed for it to a printer that can run them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Only this test's orders, on this test's printers.
        cls.env["mrp.production"].search([("state", "not in", ("done", "cancel"))]).action_cancel()
        cls.env["odm.machine"].search([]).active = False
        # The plate is packed for the large printer, wider than the small one's plate.
        cls.first = fdm_machine(
            cls.env, "Large printer", sequence=0, build_x_mm=350, build_y_mm=350, build_z_mm=350
        )
        cls.second = fdm_machine(cls.env, "Small printer", sequence=100)
        cls.works = ready_box_workorder(
            cls.env, size_mm=(110, 110, 3), quantity=2
        ) | ready_box_workorder(cls.env, size_mm=(110, 110, 3), quantity=2)

    def test_offline_printer_gives_its_build_job_up(self):
        planner = self.env["odm.production.planner"]
        planner.replan(time_limit=2)
        job = self.works.odm_build_job_id
        self.assertEqual(len(job), 1, "the two orders share one plate")
        self.assertEqual(job.machine_id, self.first)
        self.assertNotIn(self.second.workcenter_id, job._eligible_workcenters())
        busy = job.machine_id
        busy.link_state = "offline"

        result = planner.replan(time_limit=2)
        productions = self.works.production_id
        self.assertFalse(set(result.unschedulable) & set(productions.ids))
        self.assertFalse(any(productions.mapped("odm_plan_issue")))
        online = (self.first | self.second) - busy
        self.assertEqual(self.works.workcenter_id, online.workcenter_id)
