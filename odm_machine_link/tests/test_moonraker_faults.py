import shutil
import time

from odoo.tests import tagged

from tests.peers.http_fakes import FakeMoonraker

from .common import MachineLinkCase, fdm_machine, ready_box_workorder
from .test_machine_dispatch import capture_logs

TIMEOUT_S = 1.0


class LateStartMoonraker(FakeMoonraker):
    """A Moonraker that starts the print but answers the start after the client gave up."""

    lag_s = 2 * TIMEOUT_S

    def answer(self, method, path, query, headers, body):
        result = super().answer(method, path, query, headers, body)
        if path == "/printer/print/start":
            time.sleep(self.lag_s)
        return result


@tagged("post_install", "-at_install")
class TestMoonrakerFaults(MachineLinkCase):
    """Dispatch against Moonraker's documented API (tests/peers/http_fakes.py), which counts
    every start request it receives: faults never make it print a part twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not shutil.which("prusa-slicer"):
            cls.skipTest(cls, "prusa-slicer is not on PATH (./odm setup installs it)")
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.workorder = ready_box_workorder(cls.env)
        cls.machine = fdm_machine(
            cls.env,
            "Klipper",
            link_kind="moonraker",
            link_host="127.0.0.1",
            link_timeout_s=TIMEOUT_S,
        )

    def serve(self, fake):
        self.enterContext(fake.serving())
        self.machine.link_port = fake.port
        self.machine._poll()
        return fake

    def new_job(self):
        return self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )

    def wait_for(self, job, state, timeout_s=20):
        deadline = time.monotonic() + timeout_s
        while job.state != state:
            self.assertLess(time.monotonic(), deadline, f"job stuck in {job.state}")
            time.sleep(0.3)
            self.machine._poll()

    def test_print_end_to_end(self):
        fake = self.serve(FakeMoonraker(seconds=1.0))
        self.assertEqual(self.machine.link_state, "idle")
        job = self.env["odm.machine.job"]._dispatch_ready()
        self.assertIn(job.state, ("sent", "running"), job.failure_reason)
        self.wait_for(job, "finished")
        self.machine.action_confirm_bed_clear()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.workorder.state, "done")
        self.assertEqual(fake.job.starts, [job.file_name])

    def test_lost_start_answer_is_not_resent(self):
        """The start's answer never comes: the job stays sent, the reading that follows finds
        the tag printing; sending again (a lost outcome) reconciles instead of starting."""
        fake = self.serve(LateStartMoonraker(seconds=1.0))
        job = self.new_job()
        job._send()
        job.invalidate_recordset(["message_ids"])
        self.assertIn("No answer to start", " ".join(job.message_ids.mapped("body")))
        self.wait_for(job, "finished")
        job.state = "queued"
        job._send()
        self.assertEqual(job.state, "finished")
        self.assertEqual(fake.job.starts, [job.file_name])

    def test_tag_already_named_is_never_started(self):
        """A queued job whose file the machine already names (cancelled at the machine after
        an unrecorded start) goes to an operator, not to the printer again."""
        fake = self.serve(FakeMoonraker(seconds=0.5))
        job = self.new_job()
        fake.job.files[f"{job.name}.gcode"] = b"G28\n"
        fake.job.start(f"{job.name}.gcode")
        fake.job.state = "idle"
        job._send()
        self.assertEqual(job.state, "unknown")
        self.assertEqual(len(fake.job.starts), 1)

    def test_busy_machine_is_not_interrupted(self):
        fake = self.serve(FakeMoonraker(seconds=60))
        fake.job.files["someone-elses.gcode"] = b"G28\n"
        fake.job.start("someone-elses.gcode")
        job = self.new_job()
        job._send()
        self.assertEqual(job.state, "cancelled")
        self.assertIn("not ready", job.failure_reason)
        self.assertFalse(self.workorder.odm_machine_job_id)
        self.assertEqual(fake.job.starts, ["someone-elses.gcode"])

    def test_rejected_key_is_never_logged(self):
        secret = "wrong-key-0f1e2d3c4b5a"
        fake = self.serve(FakeMoonraker(api_key="the-right-key"))
        self.machine.link_api_key = secret
        with capture_logs() as lines:
            job = self.new_job()
            job._send()
            self.machine._poll()
        self.assertEqual(job.state, "cancelled")
        self.assertIn("rejected the credentials", job.failure_reason)
        self.assertEqual(fake.job.starts, [])
        job.invalidate_recordset(["message_ids"])
        texts = [*lines, *job.message_ids.mapped("body"), self.machine.link_message or ""]
        self.assertFalse([text for text in texts if secret in str(text)])

    def test_build_job_prints_as_one_plate(self):
        """Two orders' parts grouped in a build job go out as one plate file, started once,
        and both work orders finish with the machine's time shared between them."""
        fake = self.serve(FakeMoonraker(seconds=1.0))
        other = ready_box_workorder(self.env, size_mm=(15, 10, 1.2))
        (self.workorder | other).workcenter_id = self.machine.workcenter_id  # as planned
        build_job = (
            self.env["odm.build.job"]
            .regroup()
            .filtered(lambda job: self.workorder in job.workorder_ids)
        )
        self.assertEqual(build_job.workorder_ids, self.workorder | other)
        job = self.env["odm.machine.job"]._dispatch_ready()
        self.assertEqual(job.build_job_id, build_job)
        self.assertEqual(job.workorder_ids, self.workorder | other)
        self.assertEqual(job.name, f"odm-bj{build_job.id}-a1")
        self.wait_for(job, "finished")
        self.machine.action_confirm_bed_clear()
        self.assertEqual((self.workorder | other).mapped("state"), ["done", "done"])
        self.assertEqual(fake.job.starts, [job.file_name])
        self.assertAlmostEqual(
            sum((self.workorder | other).mapped("duration")), job.duration_min, delta=0.1
        )
