"""Calibration from real prints: each machine's finished jobs propose print time and material
factors with their evidence; a manager applies them, and then the plan and the machine type's
quotes use them, saying "calibrated from N prints"."""

import itertools

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odm_engine.pricing.print_calibration import FinishedJob, fit_machine

from .common import MachineLinkCase, box_stl, fdm_machine, ready_box_workorder

TAGS = itertools.count()


@tagged("post_install", "-at_install")
class TestMachineCalibration(MachineLinkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        cls.pla = cls.env.ref("odm_quote.material_pla")
        order = cls.env["sale.order"].create({"partner_id": cls.env.ref("base.res_partner_12").id})
        order._odm_add_uploads([("box.stl", box_stl(30, 20, 10))], cls.fdm, 1, material=cls.pla)
        cls.part = order.order_line.odm_part_id
        result, _parameters = cls.env["odm.pricing"].quote(cls.part, cls.fdm, cls.pla, 1)
        cls.machine_type = cls.env["odm.machine.type"].search(
            [("code", "=", result.machine), ("company_id", "in", (False, cls.env.company.id))],
            limit=1,
        )
        cls.machine = fdm_machine(cls.env, "Calibrated MK4", machine_type_id=cls.machine_type.id)
        cls.manager = new_test_user(
            cls.env, "calib_manager", groups="odm_machine_link.group_odm_machine_manager"
        )
        cls.operator = new_test_user(
            cls.env, "calib_operator", groups="odm_machine_link.group_odm_machine_operator"
        )

    def _job(self, machine, time_ratio, *, grams_ratio=None, state="done", **values):
        """A job as the machine link records it once ended: 60 min and 20 g expected."""
        return self.env["odm.machine.job"].create(
            {
                "name": f"odm-calib-{next(TAGS)}",
                "subject": "calib",
                "machine_id": machine.id,
                "company_id": machine.company_id.id,
                "state": state,
                "expected_time_min": 60.0,
                "expected_material_g": 20.0,
                "duration_min": 60.0 * time_ratio,
                "material_used_g": 20.0 * (grams_ratio or 1.0),
                "material_measured": bool(grams_ratio),
                **values,
            }
        )

    def _prints(self, machine, ratios, grams_ratio=None):
        jobs = self.env["odm.machine.job"]
        for ratio in ratios:
            jobs |= self._job(machine, ratio, grams_ratio=grams_ratio)
        return jobs

    def _propose(self, machines, user=None):
        action = machines.with_user(user or self.manager).action_odm_propose_calibration()
        return (
            self.env[action["res_model"]].with_user(user or self.manager).browse(action["res_id"])
        )

    def _apply(self, wizard, quantities=("print_time_s",)):
        wizard.line_ids.filtered(lambda line: line.quantity in quantities).apply = True
        wizard.action_apply()

    def test_quoted_as_is_proposed_from_the_slicer_profile(self):
        voron = self.env["odm.machine.type"].create(
            {
                "name": "Voron 350",
                "code": "calib_voron350",
                "process_id": self.fdm.id,
                "rate_per_hour": 4,
                "build_x_mm": 350,
                "build_y_mm": 350,
                "build_z_mm": 340,
                "slicer_printer": "VORON350",
            }
        )
        machine = fdm_machine(self.env, "Second Voron", slicer_printer="VORON350")
        self.assertEqual(machine.machine_type_id, voron, "the type slicing with its profile")
        machine.machine_type_id = self.machine_type
        machine.slicer_printer = "MK4"
        self.assertEqual(machine.machine_type_id, self.machine_type, "a choice is kept")
        unprofiled = fdm_machine(self.env, "Unknown printer", slicer_printer=False)
        self.assertFalse(unprofiled.machine_type_id, "several FDM types: none guessed")

    def test_proposal_matches_the_jobs_and_nothing_applies_until_ticked(self):
        good = self._prints(self.machine, [1.18, 1.22, 1.2, 1.25, 1.15], grams_ratio=0.9)
        untimed = self._job(self.machine, 1.3)  # no filament count: time evidence only
        failed = self._job(self.machine, 3.0, grams_ratio=2.0, state="failed")
        self._job(self.machine, 1.2, state="running")  # not ended: not counted at all
        wizard = self._propose(self.machine)
        lines = {line.quantity: line for line in wizard.line_ids}
        self.assertEqual(set(lines), {"print_time_s", "material_g"})

        fitted = fit_machine(
            FinishedJob(
                job.id,
                job.state == "done",
                {"print_time_s": 3600},
                {"print_time_s": 60 * job.duration_min},
            )
            for job in good | untimed | failed
        )[0]["print_time_s"]
        time = lines["print_time_s"]
        self.assertAlmostEqual(time.factor, fitted.factor, places=3)
        self.assertAlmostEqual(time.factor_low, fitted.correction.low, places=3)
        self.assertEqual((time.samples, time.ignored), (6, 1))
        self.assertEqual(time.job_ids, good | untimed)
        self.assertTrue(time.significant)
        self.assertLess(time.error_after_pct, time.error_before_pct)
        self.assertEqual(time.current_factor, 1.0)
        material = lines["material_g"]
        self.assertAlmostEqual(material.factor, 0.9, places=3)
        self.assertEqual((material.samples, material.ignored), (5, 2))
        self.assertEqual(material.job_ids, good)

        self.assertEqual((self.machine.time_factor, self.machine.material_factor), (1.0, 1.0))
        self.assertEqual(self.machine.time_efficiency, 100)
        with self.assertRaisesRegex(UserError, "Tick"):
            wizard.action_apply()
        self._apply(wizard)
        self.assertAlmostEqual(self.machine.time_factor, fitted.factor, places=3)
        self.assertEqual(self.machine.material_factor, 1.0, "not ticked: not applied")
        self.assertEqual(self.machine.time_prints, 6)
        self.assertEqual(self.machine.time_calibrated_by_id, self.manager)
        self.assertAlmostEqual(self.machine.time_efficiency, 100 / fitted.factor, places=2)
        message = self.machine.message_ids[:1]
        self.assertIn("Calibrated from this machine", message.body)
        self.assertIn("over 6 prints", message.body)

    def test_wizard_lists_the_prints_once_and_words_its_figures(self):
        """The prints behind the proposals are one list on their own page, not tags making
        every line tall; the chatter words the errors as the form labels them."""
        good = self._prints(self.machine, [1.18, 1.22, 1.2, 1.25, 1.15], grams_ratio=0.9)
        untimed = self._job(self.machine, 1.3)
        wizard = self._propose(self.machine)
        self.assertEqual(wizard.job_ids, good | untimed)
        arch = wizard.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="job_ids" widget="many2many_tags"', arch)
        self.assertIn('<page string="Prints used" name="prints">', arch)
        line = wizard.line_ids.filtered(lambda item: item.quantity == "print_time_s")
        self.assertEqual(line._fields["band_pct"].string, "Range for the next print (± %)")
        self.assertIn("median error", line._sentence())
        self.assertIn(f"next print within ±{line.band_pct:.0f} % (90 %)", line._sentence())

    def test_demo_printers_of_one_profile_are_quoted_as_one_type(self):
        first, second = (self.env.ref(f"odm_mrp.machine_fdm_{index}") for index in (1, 2))
        self.assertEqual(second.slicer_printer, "MK4")
        self.assertTrue(second.machine_type_id)
        self.assertEqual(second.machine_type_id, first.machine_type_id)

    def test_few_prints_propose_nothing_and_say_why(self):
        self._prints(self.machine, [1.2, 1.3])
        wizard = self._propose(self.machine)
        self.assertFalse(wizard.line_ids)
        self.assertIn("Calibrated MK4 / Print time: 2 usable finished job(s)", wizard.unfitted)

    def test_applied_factor_lengthens_the_plan_on_that_machine(self):
        workorder = ready_box_workorder(self.env)
        workorder.workcenter_id = self.machine.workcenter_id
        setup = self.machine.workcenter_id._get_expected_duration(workorder.product_id)
        before = workorder.duration_expected
        planner = self.env["odm.production.planner"]
        elsewhere = fdm_machine(self.env, "Other MK4")
        other_before = planner._durations(workorder, capable=elsewhere.workcenter_id)[0]
        self._prints(self.machine, [1.25] * 4)
        self._apply(self._propose(self.machine))
        self.assertAlmostEqual(
            workorder.duration_expected, setup + (before - setup) * 1.25, delta=0.01
        )
        durations = planner._durations(workorder, capable=self.machine.workcenter_id)[0]
        self.assertAlmostEqual(sum(durations.values()), workorder.duration_expected * 60, 2)
        elsewhere.link_kind = "none"
        job = self.env["odm.machine.job"]._dispatch_ready()
        self.assertEqual(job.machine_id, self.machine)
        self.assertAlmostEqual(job.expected_time_min, before * 1.25, delta=0.05)
        self.assertEqual(job.expected_time_factor, self.machine.time_factor, "divided out later")
        other_after = planner._durations(workorder, capable=elsewhere.workcenter_id)[0]
        # Only the stored minutes' rounding moves the other machine's duration.
        self.assertAlmostEqual(
            other_after[next(iter(other_after))], other_before[next(iter(other_before))], delta=1
        )

    def test_next_quote_uses_the_applied_factors_and_says_so(self):
        pricing = self.env["odm.pricing"]
        before, _parameters = pricing.quote(self.part, self.fdm, self.pla, 50)
        self._prints(self.machine, [1.18, 1.22, 1.2, 1.21, 1.19, 1.2], grams_ratio=1.1)
        self.assertEqual(pricing.quote(self.part, self.fdm, self.pla, 50)[0], before)
        self._apply(self._propose(self.machine), ("print_time_s", "material_g"))
        after, parameters = pricing.quote(self.part, self.fdm, self.pla, 50)
        self.assertAlmostEqual(after.print_time_s, before.print_time_s * 1.2, delta=1)
        self.assertAlmostEqual(after.material_g, before.material_g * 1.1, delta=0.01)
        self.assertGreater(after.unit_price, before.unit_price)
        estimate = parameters["estimate"]
        self.assertEqual(estimate["prints"], 6)
        self.assertEqual(estimate["ranges"]["print_time_s"]["basis"], "prints")
        low, high = estimate["unit_price"]
        self.assertLess(low, after.unit_price)
        self.assertGreater(high, after.unit_price)
        words = self.env["odm.part.quote"]._odm_estimate_words(estimate, after.unit_price)
        self.assertRegex(words, r"^calibrated from 6 prints ±\d+ %$")
        base = parameters["print_calibration"]["base_machine_time_s"]
        self.assertEqual(base, before.machine_time_s, "the plan books each machine's own factor")

        sliced = {"print_time_s": 1000.0, "material_g": 8.0}
        result, parameters = pricing.quote(self.part, self.fdm, self.pla, 50, measured=sliced)
        self.assertAlmostEqual(result.print_time_s, 1200, delta=0.5)
        self.assertEqual(
            self.env["odm.part.quote"]._odm_estimate_words(
                parameters["estimate"], result.unit_price, "MK4"
            ),
            "sliced on MK4, calibrated from 6 prints",
        )

    def test_band_narrows_as_prints_add_up(self):
        pattern = [1.1, 1.2, 1.3]
        self._prints(self.machine, pattern)
        few = self._propose(self.machine).line_ids
        self._prints(self.machine, pattern * 6)
        many = self._propose(self.machine).line_ids
        self.assertAlmostEqual(few.factor, many.factor, places=3)
        self.assertEqual((few.samples, many.samples), (3, 21))
        self.assertLess(many.band_pct, few.band_pct * 0.7)

    def test_operator_proposes_only_a_manager_applies(self):
        self._prints(self.machine, [1.2] * 3)
        wizard = self._propose(self.machine, self.operator)
        self.assertEqual(len(wizard.line_ids), 1)
        wizard.line_ids.apply = True
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual(self.machine.time_factor, 1.0)
        with self.assertRaises(AccessError):
            self.machine.with_user(self.operator).write({"time_factor": 1.5})

    def test_companies_calibrate_apart(self):
        other = self.env["res.company"].create({"name": "Calibration Other Shop"})
        # A job of another company on this machine is not its evidence.
        self._prints(self.machine, [1.2] * 3)
        for _index in range(3):
            self._job(self.machine, 2.0, company_id=other.id)
        line = self._propose(self.machine).line_ids
        self.assertEqual((line.samples, round(line.factor, 3)), (3, 1.2))
        self._apply(self._propose(self.machine))
        # Another company's quotes of the same type do not use this company's prints.
        pricing = self.env["odm.pricing"]
        self.assertTrue(
            pricing._odm_print_calibration(self.fdm, self.machine_type.code, self.env.company)
        )
        self.assertEqual(
            pricing._odm_print_calibration(self.fdm, self.machine_type.code, other), {}
        )
        # Nor does a user of the other company see or propose on this company's machine.
        stranger = new_test_user(
            self.env,
            "calib_stranger",
            groups="odm_machine_link.group_odm_machine_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        with self.assertRaises(AccessError):
            self._propose(self.machine, stranger)

    def test_resin_quotes_are_calibrated_from_their_printers_prints(self):
        """SLA printers are linked as manual: the operator's start and finish time the job."""
        sla = self.env.ref("odm_quote.process_sla")
        resin = self.env["odm.material"].search([("process_ids", "in", sla.id)], limit=1)
        order = self.env["sale.order"].create(
            {"partner_id": self.env.ref("base.res_partner_12").id}
        )
        order._odm_add_uploads([("tab.stl", box_stl(20, 20, 5))], sla, 1, material=resin)
        part = order.order_line.odm_part_id
        pricing = self.env["odm.pricing"]
        before, _parameters = pricing.quote(part, sla, resin, 10)
        printer = self.env["odm.machine"].create(
            {
                "name": "Calibrated SL1S",
                "code": "CAL-SL1S",
                "process_id": sla.id,
                "material_ids": [Command.link(resin.id)],
                "build_x_mm": 127,
                "build_y_mm": 80,
                "build_z_mm": 150,
                "link_kind": "manual",
                "machine_type_id": self.env["odm.machine.type"]
                .search([("code", "=", before.machine)], limit=1)
                .id,
            }
        )
        self._prints(printer, [0.8, 0.82, 0.78, 0.8])
        self._apply(self._propose(printer))
        after, parameters = pricing.quote(part, sla, resin, 10)
        self.assertAlmostEqual(after.print_time_s, before.print_time_s * 0.8, delta=1)
        self.assertEqual(after.material_g, before.material_g, "no resin count: not calibrated")
        words = self.env["odm.part.quote"]._odm_estimate_words(
            parameters["estimate"], after.unit_price
        )
        self.assertRegex(words, r"^calibrated from 4 prints ±\d+ %$")


@tagged("post_install", "-at_install")
class TestMachineCalibrationTour(HttpCase):
    def test_calibration_dialog_shows_compact_lines_and_the_prints_used(self):
        machine = fdm_machine(self.env, "Tour MK4")
        self.env["odm.machine.job"].create(
            [
                {
                    "name": f"odm-tour-calib-{index}",
                    "subject": "calib",
                    "machine_id": machine.id,
                    "company_id": machine.company_id.id,
                    "state": "done",
                    "expected_time_min": 60.0,
                    "expected_material_g": 20.0,
                    "duration_min": 60.0 * ratio,
                    "material_used_g": 20.0,
                }
                for index, ratio in enumerate((1.1, 1.2, 1.15, 1.25), start=1)
            ]
        )
        self.start_tour(
            f"/odoo/action-odm_mrp.odm_machine_action/{machine.id}",
            "odm_machine_calibration_tour",
            login="admin",
        )
