"""One call from an uploaded file to a measured part and its thumbnail.

The Odoo models, the portal, the JSON API and the ``odm-quote`` command all go through
``analyse_upload`` so that every channel measures a part the same way, in a bounded child
process (:mod:`odm_engine.mesh.sandbox`) under the request's budget (bytes, seconds).
"""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from odm_engine.mesh import sandbox
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.limits import DEFAULT_LIMITS, Limits, RequestBudget
from odm_engine.mesh.loaders import load_part
from odm_engine.mesh.thumbnail import render_thumbnail

# The geometry figures every report starts with (command line and JSON API alike).
GEOMETRY_SUMMARY = (
    "unit",
    "unit_inferred",
    "unit_reason",
    "volume_mm3",
    "area_mm2",
    "bbox_mm",
    "watertight",
    "bodies",
)
# The keys every quote report promises, whatever the channel (the tests of both hold them to it).
REPORT_KEYS = frozenset(
    (*GEOMETRY_SUMMARY, "print_time_s", "material_g", "breakdown", "unit_price", "dfm")
)

# Bumped whenever a change of the engine changes numbers a stored analysis holds.
ENGINE_VERSION = "1.0.0"


@dataclass(frozen=True)
class AnalysedUpload:
    analysis: dict
    thumbnail_png: bytes  # empty when no thumbnail was asked for
    inflated_bytes: int = 0


def analyse_upload(
    data: bytes,
    filename: str,
    unit: str = "auto",
    limits: Limits = DEFAULT_LIMITS,
    *,
    thumbnail_size: int | None = 256,
    budget: RequestBudget | None = None,
) -> AnalysedUpload:
    """Load, repair, measure and picture one file in a bounded child process; MeshError says
    why a file is refused (the child's time and memory limits included).

    ``budget`` is the request's budget when the file is one of several: the child may
    inflate what is left of it (a 3MF inflates), and what it did is charged; it runs for at
    most the request's seconds left.
    """
    budget = budget or RequestBudget(limits)
    child_limits = budget.limits_for_next(limits)
    arguments = {
        "filename": filename,
        "unit": unit,
        "limits": asdict(child_limits),
        "thumbnail_size": thumbnail_size,
    }
    bounds = sandbox.Bounds(child_limits.analysis_timeout_s, limits.analysis_memory_bytes)
    result, blobs = sandbox.run("analyse", arguments, data, bounds)
    budget.charge(result["inflated_bytes"])
    return AnalysedUpload(result["analysis"], blobs[0], result["inflated_bytes"])


def analyse_in_process(
    data: bytes,
    filename: str,
    unit: str = "auto",
    limits: Limits = DEFAULT_LIMITS,
    thumbnail_size: int | None = 256,
) -> AnalysedUpload:
    """What ``analyse_upload`` does, here and unbounded: the body of the child."""
    part = load_part(data, filename, unit=unit, limits=limits)
    analysis = analyse(part, fdm_layers=True, sla_layers=True)
    picture = (
        render_thumbnail(part.vertices, part.faces, size=thumbnail_size) if thumbnail_size else b""
    )
    return AnalysedUpload(analysis.to_dict(), picture, part.inflated_bytes)


def analyse_task(arguments: dict, data: bytes) -> tuple[dict, list[bytes]]:
    """The sandbox task of ``analyse_upload``: plain data in, plain data out."""
    analysed = analyse_in_process(
        data,
        arguments["filename"],
        unit=arguments["unit"],
        limits=Limits(**arguments["limits"]),
        thumbnail_size=arguments["thumbnail_size"],
    )
    result = {"analysis": analysed.analysis, "inflated_bytes": analysed.inflated_bytes}
    return result, [analysed.thumbnail_png]


def report_head(filename: str, geometry: Mapping[str, Any]) -> dict[str, Any]:
    """The head of a quote report: the file and its main geometry figures."""
    return {"file": filename, **{key: geometry.get(key) for key in GEOMETRY_SUMMARY}}


def quote_report(filename: str, geometry: Mapping[str, Any], quote) -> dict[str, Any]:
    """The report of one quote: geometry summary, the engine's answer (a Quote or its stored
    ``to_dict()``), the full geometry."""
    answer = quote if isinstance(quote, Mapping) else quote.to_dict()
    return json_ready({**report_head(filename, geometry), **answer, "geometry": geometry})


def json_ready(value: Any) -> Any:
    """Floats to 6 decimals (non-finite ones to null) for a readable, valid JSON report."""
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value
