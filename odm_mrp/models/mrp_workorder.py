from odoo import fields, models


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    odm_build_job_id = fields.Many2one(
        "odm.build.job",
        "Build job",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The machine run this work order's parts are built in, with other orders' parts.",
    )

    def _odm_between_runs_minutes(self, workcenter):  # pylint: disable=unused-argument
        """Minutes this step waits between the runs it needs on ``workcenter`` (0 here: one
        run); odm_machine_link adds the bed clearing between runs of copies that do not fit
        one plate, so the plan holds the machine for what the runs really take."""
        self.ensure_one()
        return 0.0

    def action_odm_replan(self):
        """The production plan's button: re-plans every open work order, not only these."""
        return self.env["odm.production.planner"].action_replan()
