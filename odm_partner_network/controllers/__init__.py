from . import federation
