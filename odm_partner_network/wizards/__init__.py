from . import odm_make_or_buy_wizard
from . import odm_make_or_buy_line
