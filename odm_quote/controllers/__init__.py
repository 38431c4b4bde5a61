from . import api
from . import portal
from . import viewer
from . import specification
