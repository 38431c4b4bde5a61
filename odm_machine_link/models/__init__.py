from . import odm_machine
from . import odm_machine_job_dispatch
from . import odm_machine_job_send
from . import odm_machine_job_files
from . import odm_machine_job_outcome
from . import odm_machine_job
from . import mrp_workorder
from . import mrp_production
