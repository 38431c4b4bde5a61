from . import odm_machine
from . import odm_machine_job
from . import mrp_workorder
from . import mrp_production
