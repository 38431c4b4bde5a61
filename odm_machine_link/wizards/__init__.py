from . import odm_machine_job_outcome
from . import odm_machine_job_outcome_line
from . import odm_machine_calibration_wizard
from . import odm_machine_calibration_wizard_line
