from odoo import models

from odm_engine.machines.job_state import JobState

# States in which the machine's last reading of a job says how far it got.
REPORTING_STATES = (JobState.RUNNING.value, JobState.PAUSED.value, JobState.FINISHED.value)


class OdmOrderTracking(models.AbstractModel):
    _inherit = "odm.order.tracking"

    def _machine_step_progress(self, workorder):
        """Counts the good parts of the work order's finished runs (copies that did not fit one
        plate, build-job plates) and gives the percent its machine reports for the run under
        way, so the customer reads the machine's figure rather than an estimate."""
        made, percent = super()._machine_step_progress(workorder)
        if workorder.state != "done":
            runs = workorder._odm_done_runs()
            made = max(made, sum(run._good_parts_of(workorder) for run in runs))
        job = workorder.odm_machine_job_id
        if job.state in REPORTING_STATES:
            percent = job.progress
        return made, percent
