from . import test_odm_machine
from . import test_make_to_order
from . import test_production_planner
from . import test_quote_actuals
from . import test_build_jobs
from . import test_quote_capability
from . import test_plan_constraints
from . import test_plan_timeline_tour
