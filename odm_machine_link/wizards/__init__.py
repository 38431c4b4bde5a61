from . import odm_machine_job_outcome
from . import odm_machine_job_outcome_line
