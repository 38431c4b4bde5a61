from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odm_engine.machines.connectors.base import MachineState, MachineStatus

from .common import MachineLinkCase, fdm_machine, ready_box_workorder


@tagged("post_install", "-at_install")
class TestOrderTrackingProgress(MachineLinkCase):
    """The customer's tracking page reads the machine: the percent it reports for the run
    under way and the good parts of the runs already done."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        # Four 12 mm boxes fit the plate: six parts take two runs.
        cls.machine = fdm_machine(cls.env, "Tracked Plate", build_x_mm=40, build_y_mm=40)
        cls.workorder = ready_box_workorder(cls.env, quantity=6)
        cls.order = cls.workorder.production_id.sale_line_id.order_id

    def _row(self):
        (row,) = self.env["odm.order.tracking"]._part_rows(self.order)
        return row

    def test_printing_percent_comes_from_the_machine(self):
        self.assertEqual((self._row()["stage"], self._row()["made"]), ("queued", 0))
        first = self.env["odm.machine.job"]._dispatch_ready()
        first.action_start()
        first.started_at = fields.Datetime.now() - timedelta(minutes=40)
        first.action_finish()
        self.assertEqual(first.good_copies, 4)
        row = self._row()
        self.assertEqual((row["stage"], row["percent"], row["made"]), ("making", None, 4))

        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        second = self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )
        second.write({"state": "sent", "sent_at": fields.Datetime.now()})
        self.machine._apply_status(
            MachineStatus(MachineState.BUSY, f"{second.name}.gcode", progress=0.4)
        )
        self.assertEqual(self.workorder.state, "progress")
        row = self._row()
        self.assertEqual((row["stage"], row["made"], row["ordered"]), ("making", 4, 6))
        self.assertAlmostEqual(row["percent"], 40)
        self.assertEqual(row["label"], "Printing")
