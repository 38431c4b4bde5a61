import base64
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.odm_machine_link.models.odm_machine import BED_CLEARING

from .common import (
    MachineLinkCase,
    fdm_machine,
    gcode_objects,
    gram_quantity,
    ready_box_workorder,
    virtual_printer,
)

PRINT_TIMEOUT_S = 180


@tagged("post_install", "-at_install")
class TestRunsOfCopies(MachineLinkCase):
    """A work order of N parts makes N parts: as many copies per run as fit the plate, the
    rest on later runs; actuals are the good parts' share of what the runs took."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        # 30 x 30 mm usable (5 mm margins), 3 mm apart: four 12 mm boxes per plate.
        cls.machine = fdm_machine(cls.env, "Small Plate", build_x_mm=40, build_y_mm=40)
        cls.workorder = ready_box_workorder(cls.env, quantity=6)

    def dispatch(self):
        return self.env["odm.machine.job"]._dispatch_ready()

    def run_manually(self, job, minutes):
        job.action_start()
        job.started_at = fields.Datetime.now() - timedelta(minutes=minutes)
        job.action_finish()

    def test_copies_that_do_not_fit_go_on_later_runs(self):
        first = self.dispatch()
        self.assertEqual(first.copies, 4)
        self.assertEqual(len(first.layout["placements"]), 4)
        self.run_manually(first, 40)
        self.assertEqual(first.state, "done")
        self.assertEqual(first.good_copies, 4)
        self.assertEqual(self.workorder.state, "ready", "two parts are still to make")
        self.assertEqual(self.workorder._odm_copies_left(), 2)
        self.assertFalse(self.machine.current_job_id)
        second = self.dispatch()
        self.assertEqual((second.copies, second.attempt), (2, 2))
        self.run_manually(second, 20)
        self.assertEqual(self.workorder.state, "done")
        self.assertEqual(self.workorder.qty_produced, 6)
        self.assertAlmostEqual(self.workorder.duration, 60, delta=0.5)

    def test_plan_holds_the_machine_for_every_run(self):
        """Six parts, four per plate: two runs and a bed to clear between them, planned as
        such; once the first run made four, the two left fit one plate."""
        planner = self.env["odm.production.planner"]
        quote = self.workorder.production_id.bom_id.odm_quote_id
        workcenter = self.machine.workcenter_id
        durations, _reasons = planner._durations(self.workorder, workcenter, quote)
        expected = self.workorder._get_duration_expected(alternative_workcenter=workcenter)
        if workcenter == self.workorder.workcenter_id:
            expected = self.workorder.duration_expected
        bed_clearing_min = BED_CLEARING.total_seconds() / 60
        self.assertAlmostEqual(
            durations[workcenter.id] / 60, expected + bed_clearing_min, delta=0.01
        )
        self.run_manually(self.dispatch(), 40)
        durations, _reasons = planner._durations(self.workorder, workcenter, quote)
        self.assertAlmostEqual(durations[workcenter.id] / 60, expected, delta=0.01)

    def test_promise_counts_every_run(self):
        """The date promised for six parts, four per plate, counts the bed clearing between
        the two runs, as the plan books it."""
        self.env["odm.machine"].search([("id", "!=", self.machine.id)]).action_archive()
        quote = self.workorder.production_id.bom_id.odm_quote_id
        lines = self.env["sale.order.line"]
        self.assertEqual(self.machine._odm_between_runs_minutes(quote.part_id, 6), 60)
        two_runs = lines._odm_earliest_finish(quote)
        self.machine.write({"build_x_mm": 250, "build_y_mm": 210})
        self.assertEqual(self.machine._odm_between_runs_minutes(quote.part_id, 6), 0)
        one_run = lines._odm_earliest_finish(quote)
        self.assertGreaterEqual(two_runs - one_run, BED_CLEARING)

    def test_dispatch_blockers_say_why(self):
        """A work order that cannot go says why, on itself and in the Dispatch Now message;
        the public check agrees with the round."""
        petg = self.env.ref("odm_quote.material_petg")
        self.machine.loaded_material_id = petg
        action = self.env["odm.machine"].action_dispatch_now()
        self.assertIn("0 job(s)", action["params"]["message"])
        self.assertIn("Small Plate: another material loaded", action["params"]["message"])
        self.assertIn("another material loaded", self.workorder.odm_dispatch_blocker)
        self.assertEqual(
            [code for code, _text in self.workorder._odm_dispatch_blockers()], ["material"]
        )
        self.machine.loaded_material_id = self.env.ref("odm_quote.material_pla")
        self.machine.bed_clear = False
        self.assertEqual([c for c, _t in self.workorder._odm_dispatch_blockers()], ["bed"])
        self.machine.bed_clear = True
        self.machine.write({"link_kind": "octoprint", "link_host": "127.0.0.1"})
        self.assertEqual([c for c, _t in self.workorder._odm_dispatch_blockers()], ["offline"])
        self.machine.link_kind = "manual"
        self.machine.build_z_mm = 0.5
        self.assertEqual([c for c, _t in self.workorder._odm_dispatch_blockers()], ["volume"])
        self.machine.build_z_mm = 220
        self.assertEqual(self.workorder._odm_dispatch_blockers(), [])
        job = self.dispatch()
        self.assertTrue(job)
        self.assertFalse(self.workorder.odm_dispatch_blocker)
        self.assertEqual([c for c, _t in self.workorder._odm_dispatch_blockers()], ["has_job"])

    def test_another_work_order_took_the_machine(self):
        other = ready_box_workorder(self.env, quantity=1)
        self.dispatch()
        waiting = other if self.workorder.odm_machine_job_id else self.workorder
        self.assertIn("took more urgent work", waiting.odm_dispatch_blocker)
        self.assertEqual([c for c, _t in waiting._odm_dispatch_blockers()], ["busy"])


@tagged("post_install", "-at_install")
class TestCopiesOnTheVirtualPrinter(MachineLinkCase):
    """A work order of three parts sliced as a plate of three with the real PrusaSlicer, printed
    on the real OctoPrint Virtual Printer; the operator finds one part bad: exactly that one is
    scrapped and made again, and the actuals are per part made."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, queue_job__no_delay=True))
        cls.workorder = ready_box_workorder(cls.env, quantity=3)
        cls.machine = virtual_printer(cls)

    def print_to_the_end(self, job):
        deadline = time.monotonic() + PRINT_TIMEOUT_S
        while job.state not in ("finished", "failed", "cancelled", "unknown"):
            self.assertLess(time.monotonic(), deadline, f"job stuck in {job.state}")
            time.sleep(1)
            self.machine._poll()
        self.assertEqual(job.state, "finished", job.failure_reason)

    def test_plate_of_three_then_one_bad_part_made_again(self):
        self.machine._poll()
        job = self.env["odm.machine.job"]._dispatch_ready()
        self.assertEqual(job.copies, 3)
        gcode = base64.b64decode(job.with_context(bin_size=False).file)
        self.assertEqual(gcode_objects(gcode), {b"copy 1", b"copy 2", b"copy 3"})
        self.print_to_the_end(job)
        self.assertEqual(self.machine.job_copies, 3)
        self.assertEqual(self.machine.job_product_id, self.workorder.product_id)

        outcome = self.env["odm.machine.job.outcome"].create({"job_id": job.id, "good_copies": 2})
        outcome.action_confirm()
        self.assertEqual((job.state, job.good_copies), ("done", 2))
        self.assertEqual(job.scrap_ids.scrap_qty, 1)
        self.assertEqual(job.scrap_ids.state, "done")
        self.assertEqual(self.workorder.state, "ready")
        self.assertEqual(self.workorder._odm_copies_left(), 1)
        self.assertTrue(self.machine.bed_clear)
        first_minutes, first_grams = job.duration_min, job.material_used_g

        again = self.env["odm.machine.job"]._dispatch_ready()
        self.assertEqual((again.copies, again.attempt), (1, 2))
        gcode = base64.b64decode(again.with_context(bin_size=False).file)
        self.assertEqual(len(gcode_objects(gcode)), 1)
        self.assertLess(again.expected_material_g, job.expected_material_g / 2)
        self.print_to_the_end(again)
        self.machine.action_confirm_bed_clear()
        self.assertEqual(again.state, "done")
        self.assertEqual(self.workorder.state, "done")
        self.assertEqual(self.workorder.qty_produced, 3)

        expected_minutes = first_minutes * 2 / 3 + again.duration_min
        self.assertAlmostEqual(self.workorder.duration, expected_minutes, delta=0.05)
        production = self.workorder.production_id
        material = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.env.ref("odm_quote.material_pla").product_id
        )
        expected_grams = first_grams * 2 / 3 + again.material_used_g
        self.assertAlmostEqual(gram_quantity(material), expected_grams, delta=0.05)
        production.qty_producing = production.product_qty
        production.with_context(skip_consumption=True).button_mark_done()
        actual = self.env["odm.quote.actual"].search([("production_id", "=", production.id)])
        self.assertEqual(actual.quantity, 3)
        self.assertAlmostEqual(actual.actual_machine_min, expected_minutes, delta=0.05)
        self.assertAlmostEqual(actual.actual_material_g, expected_grams, delta=0.05)
