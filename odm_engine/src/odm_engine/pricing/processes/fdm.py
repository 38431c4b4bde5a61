"""FDM: print time and filament layer by layer from the machine's slicer profile.

When the analysis holds its fine-layer table (``fdm_layers``), the estimate is the layer-based
one of ``odm_engine.slicing.layers`` with the PrusaSlicer profile of the machine (the printer
profile named like the machine's code, else the slicer's default printer) and of the material
(its own profile, else the slicer's default material, weighed with the material's density);
the process's layer height, perimeters, solid layers and infill override the print profile's.
Analyses stored without that table (or with another version of it) fall back to the
volume-based formula of ``extrusion_mm3``.
"""

import functools
import math
from collections.abc import Mapping
from typing import Any

from odm_engine.pricing.costing import (
    DfmIssue,
    Job,
    ProcessEstimate,
    cost,
    oriented_fit,
    plate_capacity,
)
from odm_engine.pricing.params import FdmParams
from odm_engine.pricing.processes.plate import (
    plate_setup_item,
    slicer_profile,
    support_removal_item,
)
from odm_engine.pricing.processes.plate import reads_layer_table as reads_table
from odm_engine.slicing import layers


def profile_overrides(fdm: FdmParams) -> dict[str, float | int | str]:
    """The shop's layout parameters, which take precedence over the print profile's.

    Their defaults are the shipped print profile's, so they change nothing until edited; the
    motion (speeds, accelerations, retraction, cooling) always comes from the machine profile.
    """
    return {
        "layer_height": fdm.layer_height_mm,
        "perimeters": fdm.perimeters,
        "top_solid_layers": fdm.top_layers,
        "bottom_solid_layers": fdm.bottom_layers,
        "fill_density": f"{fdm.infill_pct:g}%",
    }


def reads_layer_table(table: Mapping[str, Any] | None) -> bool:
    """Whether an analysis's layer table (its ``fdm_layers``) is one this engine estimates
    from; an analysis stored without it, or by another version, prices with the volume formula."""
    return reads_table(table, layers)


def layered(job: Job) -> tuple[layers.LayerEstimate, str] | None:
    """The layer-based estimate and its profile name, or None (``reads_layer_table``)."""
    table = job.geometry.fdm_layers
    if not reads_layer_table(table):
        return None
    printer, material = slicer_profile(job)
    overrides = tuple(sorted(profile_overrides(job.process).items()))
    return _estimate(_StoredTable(table), printer, material, overrides), f"{printer}/{material}"


class _StoredTable:
    """A layer table as a cache key: equal when its packed content is (the data string's hash
    is computed once per string), so a comparison or a price grid that prices one part at
    several quantities estimates it once per profile."""

    __slots__ = ("key", "table")

    def __init__(self, table: Mapping[str, Any]):
        self.table = table
        self.key = (table["data"], table["layers"], table["pitch_mm"], tuple(table["columns"]))

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StoredTable) and self.key == other.key


@functools.lru_cache(maxsize=32)
def _estimate(
    table: _StoredTable, printer: str, material: str, overrides: tuple
) -> layers.LayerEstimate:
    profile = layers.FdmProfile.load(printer, material, dict(overrides))
    return layers.estimate(table.table, profile)


def extrusion_mm3(job: Job) -> dict[str, float]:
    """Extruded volume by feature.

    Standing surfaces (``wall_area_mm2``: contour length times layer height) get ``perimeters``
    lines of ``line_width``; surfaces facing up or down (``skin_area_mm2``, half of it each way)
    get solid skins, both capped at the part volume for thin parts; the rest of the volume is
    infill. Supports are printed sparse under the overhangs, with dense interface layers right
    under the overhanging surface.
    """
    part, fdm = job.geometry, job.process
    walls = part.wall_area_mm2 * fdm.perimeters * fdm.line_width_mm
    skins = part.skin_area_mm2 / 2 * (fdm.top_layers + fdm.bottom_layers) * fdm.layer_height_mm
    solid = min(part.volume_mm3, walls + skins)
    scale = solid / (walls + skins) if walls + skins else 0.0
    interface = (
        part.overhang_area_mm2
        * fdm.support_interface_layers
        * fdm.layer_height_mm
        * fdm.support_interface_pct
        / 100
    )
    return {
        "shells_mm3": walls * scale,
        "skins_mm3": skins * scale,
        "infill_mm3": (part.volume_mm3 - solid) * fdm.infill_pct / 100,
        "support_mm3": part.support_volume_mm3 * fdm.support_density_pct / 100 + interface,
    }


def estimate(job: Job) -> ProcessEstimate:
    part, material, machine, quantity = job.geometry, job.material, job.machine, job.quantity
    fdm: FdmParams = job.process
    dfm: list[DfmIssue] = []
    width, depth, height = oriented_fit(part.print_box_mm, machine, dfm)
    measured = job.measured or {}
    sliced = "material_g" in measured and "print_time_s" in measured
    by_layers = None if sliced else layered(job)
    volumes = extrusion_mm3(job)
    extruded = sum(volumes.values())
    layer_count = math.ceil(height / fdm.layer_height_mm)

    if "material_g" in measured:
        grams = measured["material_g"]
        material_item = cost(
            "material",
            f"{material.name} filament (sliced)",
            "material",
            grams * material.price_per_kg / 1000,
            "material_g (from the slicer) * price_per_kg / 1000",
            material_g=grams,
            price_per_kg=material.price_per_kg,
        )
    elif by_layers:
        layer_estimate, profile = by_layers
        grams = layer_estimate.extruded_mm3 / 1000 * material.density_g_cm3
        material_item = cost(
            "material",
            f"{material.name} filament",
            "material",
            grams * material.price_per_kg / 1000,
            f"extruded_mm3 (layer by layer, profile {profile}) / 1000 * density_g_cm3"
            " * price_per_kg / 1000",
            extruded_mm3=layer_estimate.extruded_mm3,
            density_g_cm3=material.density_g_cm3,
            price_per_kg=material.price_per_kg,
        )
    else:
        grams = extruded / 1000 * material.density_g_cm3
        material_item = cost(
            "material",
            f"{material.name} filament",
            "material",
            grams * material.price_per_kg / 1000,
            "(shells_mm3 + skins_mm3 + infill_mm3 + support_mm3) / 1000 * density_g_cm3"
            " * price_per_kg / 1000",
            **volumes,
            density_g_cm3=material.density_g_cm3,
            price_per_kg=material.price_per_kg,
        )

    if "print_time_s" in measured:
        print_time = measured["print_time_s"]
        time_formula = "print_time_s (from the slicer) / 3600 * rate_per_hour"
        time_inputs = {"print_time_s": print_time}
    elif by_layers:
        layer_estimate, profile = by_layers
        print_time = layer_estimate.print_time_s * fdm.print_time_factor
        time_formula = (
            f"print_time_s (layer by layer, profile {profile}: the sum of its features)"
            " * print_time_factor / 3600 * rate_per_hour"
        )
        time_inputs = {
            "print_time_s": layer_estimate.print_time_s,
            "print_time_factor": fdm.print_time_factor,
            "layers": layer_estimate.layers,
            **{f"{key}_s": value for key, value in layer_estimate.time_by_feature_s.items()},
        }
    else:
        print_time = extruded / fdm.volumetric_flow_mm3_s + layer_count * fdm.layer_overhead_s
        time_formula = (
            "(extruded_mm3 / volumetric_flow_mm3_s + layers * layer_overhead_s) / 3600"
            " * rate_per_hour"
        )
        time_inputs = {
            "extruded_mm3": extruded,
            "volumetric_flow_mm3_s": fdm.volumetric_flow_mm3_s,
            "layers": layer_count,
            "layer_overhead_s": fdm.layer_overhead_s,
        }
    machine_item = cost(
        "machine_time",
        f"Printing on {machine.name}",
        "machine",
        print_time / 3600 * machine.rate_per_hour,
        time_formula,
        **time_inputs,
        rate_per_hour=machine.rate_per_hour,
    )

    per_plate = plate_capacity(width, depth, machine, fdm.part_spacing_mm)
    plates = math.ceil(quantity / per_plate)
    items = [material_item, machine_item, plate_setup_item(job, plates, per_plate)]
    if part.support_volume_mm3 > 0:
        items.append(support_removal_item(job, part.support_volume_mm3))
    return ProcessEstimate(
        items=tuple(items),
        material_g=grams,
        machine_time_s=print_time,
        order_machine_time_s=print_time * quantity,
        parts_per_batch=per_plate,
        batches=plates,
        dfm=tuple(dfm),
        additive=True,
    )
