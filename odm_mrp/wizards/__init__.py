from . import odm_recalibration_wizard
from . import odm_recalibration_wizard_line
from . import odm_promise_change_wizard
