"""The process cost models, one module per technology (see ``params.PROCESS_TECHNOLOGIES``)."""

from collections.abc import Callable

from odm_engine.pricing.costing import Job, ProcessEstimate
from odm_engine.pricing.processes import cnc, fdm, moulding, sla, sls

MODELS: dict[str, Callable[[Job], ProcessEstimate]] = {
    "fdm": fdm.estimate,
    "sla": sla.estimate,
    "sls": sls.estimate,
    "mjf": sls.estimate,
    "cnc": cnc.estimate,
    "moulding": moulding.estimate,
}
