from . import odm_machine_job_outcome
