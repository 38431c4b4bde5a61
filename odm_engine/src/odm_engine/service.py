"""One call from an uploaded file to a measured part and its thumbnail.

The Odoo models, the portal, the JSON API and the ``odm-quote`` command all go through
``analyse_upload`` so that every channel measures a part the same way.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.limits import DEFAULT_LIMITS, Limits
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
    thumbnail_png: bytes


def analyse_upload(
    data: bytes,
    filename: str,
    unit: str = "auto",
    limits: Limits = DEFAULT_LIMITS,
    thumbnail_size: int = 256,
) -> AnalysedUpload:
    """Load, repair, measure and picture one file; MeshError says why a file is refused."""
    part = load_part(data, filename, unit=unit, limits=limits)
    analysis = analyse(part)
    picture = render_thumbnail(part.vertices, part.faces, size=thumbnail_size)
    return AnalysedUpload(analysis=analysis.to_dict(), thumbnail_png=picture)


def report_head(filename: str, geometry: Mapping[str, Any]) -> dict[str, Any]:
    """The head of a quote report: the file and its main geometry figures."""
    return {"file": filename, **{key: geometry.get(key) for key in GEOMETRY_SUMMARY}}


def quote_report(filename: str, geometry: Mapping[str, Any], quote) -> dict[str, Any]:
    """The report of one quote: geometry summary, the engine's answer, the full geometry."""
    return json_ready({**report_head(filename, geometry), **quote.to_dict(), "geometry": geometry})


def json_ready(value: Any) -> Any:
    """Floats to 6 decimals (non-finite ones to null) for a readable, valid JSON report."""
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value
