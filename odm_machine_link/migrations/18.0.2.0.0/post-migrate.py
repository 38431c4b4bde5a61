from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """A machine's current job became a stored computation from its jobs' states (it was set by
    hand before 18.0.2): computed once for every machine, so none keeps a stale job."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    machines = env["odm.machine"].with_context(active_test=False).search([])
    env.add_to_compute(machines._fields["current_job_id"], machines)
    machines.flush_recordset(["current_job_id"])
