from . import test_odm_foundation_tour
from . import test_machine_dispatch
from . import test_octoprint_dispatch
from . import test_machine_access
from . import test_dispatch_stress
from . import test_machine_board_tour
from . import test_moonraker_faults
