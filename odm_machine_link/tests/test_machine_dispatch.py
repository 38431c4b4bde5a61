import contextlib
import logging
import socket
from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from odm_engine.machines.connectors.base import MachineState, MachineStatus, MachineUnreachable

from .common import MachineLinkCase, fdm_machine, ready_workorder


def dead_port():
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def capture_logs():
    """Every message logged meanwhile, at any level, by any logger."""
    handler, root = _Capture(), logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@tagged("post_install", "-at_install")
class TestDispatch(MachineLinkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.workorder = ready_workorder(cls.env)
        cls.machine = fdm_machine(cls.env, "Manual One")

    def dispatch(self):
        return self.env["odm.machine.job"]._dispatch_ready()

    def test_manual_machine_flow(self):
        """Dispatch assigns the work order; the operator starts and finishes it; the work order
        is done with the machine time logged and the counters move."""
        job = self.dispatch()
        self.assertEqual(job.machine_id, self.machine)
        self.assertEqual(job.workorder_ids, self.workorder)
        self.assertEqual(job.state, "queued")
        self.assertEqual(job.name, f"odm-wo{self.workorder.id}-a1")
        self.assertEqual(self.workorder.odm_machine_job_id, job)
        self.assertFalse(self.dispatch(), "a work order with a job is not dispatched again")
        job.action_start()
        self.assertEqual(self.workorder.state, "progress")
        self.assertEqual(self.machine.link_state, "busy")
        job.started_at = fields.Datetime.now() - timedelta(minutes=42)
        job.action_finish()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.workorder.state, "done")
        self.assertAlmostEqual(self.workorder.duration, 42, delta=0.5)
        self.assertEqual(self.machine.job_count, 1)
        self.assertAlmostEqual(self.machine.run_hours, 0.7, delta=0.01)
        self.assertFalse(self.machine.current_job_id)

    def test_failure_scraps_and_requeues(self):
        job = self.dispatch()
        job.action_start()
        job.action_fail()
        self.assertEqual(job.state, "failed")
        self.assertEqual(self.workorder.state, "ready")
        self.assertFalse(self.workorder.odm_machine_job_id)
        self.assertEqual(job.scrap_ids.product_id, self.workorder.production_id.product_id)
        self.assertEqual(job.scrap_ids.state, "done")
        self.assertEqual(self.machine.failed_job_count, 1)
        again = self.dispatch()
        self.assertEqual(again.workorder_ids, self.workorder)
        self.assertEqual(again.attempt, 2)
        self.assertEqual(again.name, f"odm-wo{self.workorder.id}-a2")

    def test_compatibility(self):
        """Another material loaded, a machine under maintenance, an unconfirmed bed: no job."""
        self.machine.loaded_material_id = self.env.ref("odm_quote.material_petg")
        self.assertFalse(self.dispatch())
        self.machine.loaded_material_id = self.env.ref("odm_quote.material_pla")
        self.machine.bed_clear = False
        self.assertFalse(self.dispatch())
        self.machine.bed_clear = True
        self.machine.build_z_mm = 1
        self.assertFalse(self.dispatch(), "the part does not fit")
        self.machine.build_z_mm = 220
        equipment = self.env["maintenance.equipment"].create({"name": "Manual One"})
        self.machine.equipment_id = equipment
        request = self.env["maintenance.request"].create(
            {"name": "Belts", "equipment_id": equipment.id}
        )
        job = self.dispatch()
        self.assertTrue(job, "a request nobody works on yet does not block the machine")
        job._cancel("the test frees the work order")
        request.stage_id = self.env.ref("maintenance.stage_1")
        self.assertTrue(self.machine.under_maintenance)
        self.assertFalse(self.dispatch())
        request.stage_id = self.env.ref("maintenance.stage_3")
        self.assertTrue(self.dispatch())

    def test_database_refuses_double_dispatch(self):
        """Even if code forgot the checks, a second active job for the same work order or the
        same machine cannot be stored."""
        job = self.dispatch()
        other = fdm_machine(self.env, "Manual Two")
        for clash in ({"machine_id": other.id}, {"subject": "wo0"}):
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.IntegrityError),
                self.env.cr.savepoint(),
            ):
                job.copy({"name": f"odm-copy{len(clash)}-a1", **clash})
        job.action_fail()
        job.copy({"name": "odm-copy-a3", "state": "queued"})

    def test_printer_reading_flow(self):
        """Readings of a printer: busy with our tag starts the work order, finished waits for
        the bed, the operator's confirmation completes it with the machine's material."""
        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        job = self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )
        job.state = "sent"
        job.sent_at = fields.Datetime.now()
        name = f"{job.name}.gcode"
        self.machine._apply_status(
            MachineStatus(MachineState.BUSY, name, progress=0.25, elapsed_s=600, remaining_s=1800)
        )
        self.assertEqual(job.state, "running")
        self.assertEqual(self.workorder.state, "progress")
        self.assertAlmostEqual(self.machine.job_progress, 25)
        self.assertTrue(job.eta)
        self.machine._apply_status(
            MachineStatus(MachineState.FINISHED, name, 1.0, 2400, None, material_used_mm=3000)
        )
        self.assertEqual(job.state, "finished")
        self.assertFalse(self.machine.bed_clear)
        self.assertEqual(self.workorder.state, "progress", "waits for the operator")
        self.assertFalse(self.dispatch(), "the bed still holds the part")
        self.machine.action_confirm_bed_clear()
        self.assertEqual(job.state, "done")
        self.assertEqual(self.workorder.state, "done")
        self.assertAlmostEqual(self.workorder.duration, 40, delta=0.5)
        grams = job.material_used_g
        self.assertAlmostEqual(grams, 3000 * 3.1416 * 0.875**2 / 1000 * 1.24, delta=0.5)
        self.assertTrue(job.material_measured, "the machine's own count: calibration evidence")
        material = self.workorder.production_id.move_raw_ids.filtered(
            lambda m: m.product_id == self.env.ref("odm_quote.material_pla").product_id
        )
        self.assertAlmostEqual(
            material.product_uom._compute_quantity(
                material.quantity, self.env.ref("uom.product_uom_gram")
            ),
            grams,
            delta=0.1,
        )
        production = self.workorder.production_id
        production.qty_producing = production.product_qty
        production.with_context(skip_consumption=True).button_mark_done()
        actual = self.env["odm.quote.actual"].search([("production_id", "=", production.id)])
        self.assertAlmostEqual(actual.actual_machine_min, 40, delta=0.5)
        self.assertAlmostEqual(actual.actual_material_g, grams, delta=0.1)
        self.assertEqual(actual.machine_id, self.machine)

    def test_bad_print_found_by_operator(self):
        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        job = self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )
        self.machine._apply_status(MachineStatus(MachineState.BUSY, f"{job.name}.gcode"))
        self.machine._apply_status(MachineStatus(MachineState.FINISHED, f"{job.name}.gcode"))
        job.action_bed_clear_failed()
        self.assertEqual(job.state, "failed")
        self.assertTrue(job.scrap_ids)
        self.assertEqual(self.workorder.state, "ready")
        self.assertTrue(self.machine.bed_clear)

    def test_offline_machine_keeps_its_job(self):
        """A machine that stops answering goes offline; its job becomes unknown, is kept, and
        is reconciled by its tag when the machine answers again."""
        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        job = self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )
        self.machine._apply_status(MachineStatus(MachineState.BUSY, f"{job.name}.gcode"))
        self.machine._apply_status(MachineUnreachable("no answer within 5 s"))
        self.assertEqual(self.machine.link_state, "offline")
        self.assertEqual(job.state, "unknown")
        self.assertEqual(self.workorder.odm_machine_job_id, job)
        self.assertFalse(self.dispatch(), "the job is not lost nor sent elsewhere")
        self.machine._apply_status(MachineStatus(MachineState.BUSY, f"{job.name}.gcode", 0.5))
        self.assertEqual(job.state, "running")

    def test_unknown_job_resolved_by_operator(self):
        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        job = self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )
        self.machine._apply_status(MachineStatus(MachineState.BUSY, f"{job.name}.gcode"))
        self.machine._apply_status(MachineStatus(MachineState.IDLE, "someone-elses.gcode"))
        self.assertEqual(job.state, "unknown")
        job.action_mark_failed()
        self.assertEqual(job.state, "failed")
        self.assertEqual(self.workorder.state, "ready")

    def test_unreachable_machine_frees_the_work_order(self):
        """Sending to a machine that refuses connections cancels the job (no tries left
        outside queue_job) and frees the work order; the key shows in no log or message."""
        secret = "SECRET-KEY-1234567890"
        self.machine.write(
            {
                "link_kind": "octoprint",
                "link_host": "127.0.0.1",
                "link_port": dead_port(),
                "link_api_key": secret,
                "link_state": "idle",
            }
        )
        with capture_logs() as lines:
            job = self.dispatch()
        self.assertEqual(job.state, "cancelled")
        self.assertFalse(self.workorder.odm_machine_job_id)
        self.assertEqual(self.machine.link_state, "offline")
        self.assertIn("cannot be reached", job.failure_reason)
        job.invalidate_recordset(["message_ids"])
        texts = [*lines, *job.message_ids.mapped("body"), job.failure_reason or ""]
        texts.append(self.machine.link_message or "")
        self.assertFalse([text for text in texts if secret in str(text)])

    def test_maintenance_threshold(self):
        self.machine.maintenance_every_jobs = 2
        for _attempt in range(2):
            job = self.dispatch()
            job.action_start()
            job.action_fail()
        request = self.env["maintenance.request"].search(
            [("equipment_id", "=", self.machine.equipment_id.id)]
        )
        self.assertEqual(len(request), 1)
        self.assertEqual(request.maintenance_type, "preventive")
        self.assertEqual(self.machine.maintenance_jobs_mark, 2)

    def test_failure_trend_flag(self):
        job_model = self.env["odm.machine.job"]
        start = fields.Datetime.now() - timedelta(days=10)
        for index in range(60):
            failed = index >= 40 and index % 2 == 0
            job_model.create(
                {
                    "name": f"odm-hist{index}-a1",
                    "subject": f"hist{index}",
                    "machine_id": self.machine.id,
                    "state": "failed" if failed or index == 7 else "done",
                    "finished_at": start + timedelta(hours=index),
                }
            )
        self.machine._check_failure_trend()
        self.assertTrue(self.machine.failure_flag)
        self.assertAlmostEqual(self.machine.recent_failure_rate, 50)

    def test_nozzle_must_match_the_quoted_one(self):
        self.machine.nozzle_diameter_mm = 0.6
        self.assertFalse(self.dispatch(), "the part was quoted for a 0.4 mm nozzle")
        self.machine.nozzle_diameter_mm = 0.4
        self.assertTrue(self.dispatch())

    def test_refused_work_is_held_for_a_while(self):
        """Work cancelled three times within the hour is not sent again every minute."""
        for _attempt in range(3):
            self.dispatch()._cancel("refused by the machine")
        self.assertFalse(self.dispatch())
        self.env.cr.execute(
            "UPDATE odm_machine_job SET write_date = now() - interval '2 hours' WHERE subject = %s",
            [f"wo{self.workorder.id}"],
        )
        self.env["odm.machine.job"].invalidate_model(["write_date"])
        self.assertTrue(self.dispatch())

    def test_monitoring_only_machines_get_no_jobs(self):
        self.machine.write({"link_kind": "mtconnect", "link_host": "127.0.0.1"})
        self.machine.link_state = "idle"
        self.assertFalse(self.dispatch())

    def test_failing_a_job_never_started_scraps_nothing(self):
        job = self.dispatch()
        job.action_fail()
        self.assertEqual(job.state, "failed")
        self.assertFalse(job.scrap_ids)
        self.assertEqual(self.workorder.state, "ready")

    def test_dispatch_now_button(self):
        action = self.env["odm.machine"].action_dispatch_now()
        self.assertIn("1 job(s)", action["params"]["message"])
        self.assertTrue(self.workorder.odm_machine_job_id)

    def test_machine_error_after_a_finished_print_leaves_it_to_the_operator(self):
        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        job = self.env["odm.machine.job"]._create_for(
            f"wo{self.workorder.id}", self.workorder, self.env["odm.build.job"], self.machine
        )
        name = f"{job.name}.gcode"
        self.machine._apply_status(MachineStatus(MachineState.BUSY, name))
        self.machine._apply_status(MachineStatus(MachineState.FINISHED, name))
        self.machine._apply_status(MachineStatus(MachineState.FAILED, name, message="heater"))
        self.assertEqual(job.state, "finished")
        self.assertFalse(job.scrap_ids)
