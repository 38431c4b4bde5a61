from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import MachineLinkCase, fdm_machine, ready_workorder


@tagged("post_install", "-at_install")
class TestMachineAccess(MachineLinkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.machine = fdm_machine(
            cls.env,
            "Guarded Printer",
            link_kind="octoprint",
            link_host="127.0.0.1",
            link_api_key="TOP-SECRET-KEY",
            link_password="hunter2",
        )
        cls.operator = new_test_user(
            cls.env, "odm_operator", groups="odm_machine_link.group_odm_machine_operator"
        )
        cls.manager = new_test_user(
            cls.env, "odm_machine_manager", groups="odm_machine_link.group_odm_machine_manager"
        )

    def test_operator_cannot_read_credentials(self):
        machine = self.machine.with_user(self.operator)
        self.assertEqual(machine.link_host, "127.0.0.1")
        with self.assertRaises(AccessError):
            machine.read(["link_api_key"])
        with self.assertRaises(AccessError):
            machine.read(["link_password"])
        with self.assertRaises(AccessError):
            machine.write({"link_host": "10.0.0.1"})

    def test_manager_reads_credentials(self):
        machine = self.machine.with_user(self.manager)
        self.assertEqual(machine.link_api_key, "TOP-SECRET-KEY")
        machine.link_host = "10.0.0.2"

    def test_operator_runs_a_manual_job(self):
        """An operator starts, finishes and clears jobs without writing machines directly."""
        self.machine.write({"link_kind": "manual"})
        workorder = ready_workorder(self.env)
        job = self.env["odm.machine.job"]._dispatch_ready()
        self.assertEqual(job.workorder_ids, workorder)
        as_operator = job.with_user(self.operator)
        as_operator.action_start()
        as_operator.action_finish()
        self.assertEqual(job.state, "done")
        self.assertEqual(workorder.state, "done")
        with self.assertRaises(AccessError):
            self.env["odm.machine.job"].with_user(self.operator).create(
                {"name": "odm-x-a1", "subject": "x", "machine_id": self.machine.id}
            )

    def test_operator_confirms_bed_clear(self):
        self.machine.write({"bed_clear": False})
        self.machine.with_user(self.operator).action_confirm_bed_clear()
        self.assertTrue(self.machine.bed_clear)

    def test_other_company_jobs_hidden(self):
        other = self.env["res.company"].create({"name": "Other Shop"})
        job = self.env["odm.machine.job"].create(
            {"name": "odm-other-a1", "subject": "other", "machine_id": self.machine.id,
             "company_id": other.id}
        )  # fmt: skip
        self.operator.write({"company_ids": [Command.link(self.env.company.id)]})
        self.assertFalse(
            self.env["odm.machine.job"].with_user(self.operator).search([("id", "=", job.id)])
        )
