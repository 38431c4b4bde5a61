from odoo import fields, models


class MrpWorkorder(models.Model):
    _inherit = "mrp.workorder"

    odm_machine_job_id = fields.Many2one(
        "odm.machine.job",
        "Machine job",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The job that runs this work order on a machine now; empty while it waits.",
    )
    odm_machine_progress = fields.Float(related="odm_machine_job_id.progress", string="Progress")
    odm_machine_eta = fields.Datetime(related="odm_machine_job_id.eta", string="Machine ETA")
