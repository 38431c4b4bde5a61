import time

from odoo.tests import tagged

from .common import MachineLinkCase, ready_box_workorder, virtual_printer

PRINT_TIMEOUT_S = 120


@tagged("post_install", "-at_install")
class TestOctoPrintDispatch(MachineLinkCase):
    """A work order sliced, sent to the real OctoPrint Virtual Printer, printed and finished."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.workorder = ready_box_workorder(cls.env)
        cls.machine = virtual_printer(cls)

    def wait_for(self, job, states):
        deadline = time.monotonic() + PRINT_TIMEOUT_S
        seen = set()
        while job.state not in states:
            self.assertLess(time.monotonic(), deadline, f"job stuck in {job.state}")
            time.sleep(1)
            self.machine._poll()
            seen.add(job.state)
        return seen

    def test_work_order_prints_once_and_finishes(self):
        """Dispatch slices and starts the job; a retried send while it prints reconciles by
        the tag instead of starting it again; the finished print waits for the bed, then the
        work order is done with the machine's time and material."""
        self.machine._poll()
        self.assertEqual(self.machine.link_state, "idle")
        job = self.env["odm.machine.job"]._dispatch_ready()
        self.assertEqual(job.machine_id, self.machine)
        self.assertIn(job.state, ("sent", "running"), job.failure_reason)
        self.assertEqual(job.file_name, f"{job.name}.gcode")
        self.assertGreater(job.expected_material_g, 0)
        self.wait_for(job, ("running", "finished", "failed", "cancelled", "unknown"))
        self.assertEqual(job.state, "running", job.failure_reason)
        self.assertEqual(self.workorder.state, "progress")
        started = job.started_at
        job.state = "queued"  # as if the first try's outcome had been lost
        job._send()
        self.assertIn(job.state, ("running", "finished"))
        self.assertEqual(job.started_at, started)
        self.wait_for(job, ("finished", "failed", "cancelled", "unknown"))
        self.assertEqual(job.state, "finished", job.failure_reason)
        self.assertIn(job.name, job.machine_echo)
        self.assertFalse(self.machine.bed_clear)
        self.assertFalse(
            self.env["odm.machine.job"]._dispatch_ready(), "nothing starts on a full bed"
        )
        self.machine.action_confirm_bed_clear()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.workorder.state, "done")
        self.assertGreater(job.duration_min, 0)
        self.assertGreater(job.material_used_g, 0)
        self.assertEqual(self.machine.job_count, 1)
        self.assertEqual(
            self.env["odm.machine.job"].search_count([("machine_id", "=", self.machine.id)]), 1
        )
