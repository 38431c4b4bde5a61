"""SLA/DLP: resin for the part and its supports; time = layers * (exposure + peel) per platform.

Every layer of a platform takes the same time however many parts it holds, so the platform
time is shared by the parts of the order printed on it.

When the analysis holds its SLA layer table (``sla_layers``), print time and resin (part,
supports and pad) are the layer-based estimate of ``odm_engine.slicing.sla_layers`` with the
PrusaSlicer SLA profile of the machine (the printer profile named like the machine's code, else
the SL1S) and of the material (its own, else the default resin), weighed with the material's
density; slicer figures (``Job.measured``) replace both. Analyses stored without the table
price with the volume formula of the process's parameters (exposure, peel, support lift and
density), which then only serve it.
"""

import math

from odm_engine.pricing.costing import (
    DfmIssue,
    Job,
    ProcessEstimate,
    cost,
    oriented_fit,
    plate_capacity,
)
from odm_engine.pricing.params import SlaParams
from odm_engine.pricing.processes.plate import (
    plate_setup_item,
    reads_layer_table,
    slicer_profile,
    support_removal_item,
)
from odm_engine.slicing import sla_layers


def layered(job: Job) -> tuple[sla_layers.SlaEstimate, str] | None:
    """The layer-based estimate of one part and its profile name, or None without a table
    this engine reads (``reads_layer_table``)."""
    table = job.geometry.sla_layers
    if not reads_layer_table(table, sla_layers):
        return None
    printer, material = slicer_profile(job)
    profile = sla_layers.SlaProfile.load(printer, material)
    return sla_layers.estimate_from_table(table, profile), f"{printer}/{material}"


def _resin(job: Job, by_layers) -> tuple[float, str, dict]:
    """Grams of resin per part, the formula and its inputs: measured, layered or by volume."""
    sla: SlaParams = job.process
    part, material, measured = job.geometry, job.material, job.measured or {}
    money = {"price_per_kg": material.price_per_kg}
    if "material_g" in measured:
        return (
            measured["material_g"],
            "material_g (from the slicer: part, supports and pad) * price_per_kg / 1000",
            {"material_g": measured["material_g"], **money},
        )
    if by_layers:
        estimate, profile = by_layers
        return (
            estimate.resin_ml * material.density_g_cm3,
            f"(part_ml + support_ml + pad_ml) (layer by layer, profile {profile})"
            " * density_g_cm3 * price_per_kg / 1000",
            {
                "part_ml": estimate.part_ml,
                "support_ml": estimate.support_ml,
                "pad_ml": estimate.pad_ml,
                "support_points": estimate.support_points,
                "density_g_cm3": material.density_g_cm3,
                **money,
            },
        )
    supported = part.support_volume_mm3 + part.footprint_mm2 * sla.support_lift_mm
    support = supported * sla.support_density_pct / 100
    return (
        (part.volume_mm3 + support) / 1000 * material.density_g_cm3,
        "(volume_mm3 + support_mm3) / 1000 * density_g_cm3 * price_per_kg / 1000",
        {
            "volume_mm3": part.volume_mm3,
            "support_mm3": support,
            "density_g_cm3": material.density_g_cm3,
            **money,
        },
    )


def _platform_time(job: Job, height: float, by_layers) -> tuple[float, str, dict]:
    """Seconds one platform takes to print, the formula and its inputs."""
    sla: SlaParams = job.process
    measured = job.measured or {}
    if "print_time_s" in measured:
        return (
            measured["print_time_s"],
            "platforms * print_time_s (from the slicer) / 3600 * rate_per_hour / quantity",
            {"print_time_s": measured["print_time_s"]},
        )
    if by_layers:
        estimate, profile = by_layers
        return (
            estimate.print_time_s,
            f"platforms * print_time_s (layer by layer, profile {profile}: exposure, tilt and"
            " tower move of every layer) / 3600 * rate_per_hour / quantity",
            {
                "print_time_s": estimate.print_time_s,
                "layers": estimate.layers,
                "slow_layers": estimate.slow_layers,
            },
        )
    layers = math.ceil((height + sla.support_lift_mm) / sla.layer_height_mm)
    return (
        layers * (sla.layer_exposure_s + sla.layer_peel_s),
        "platforms * layers * (layer_exposure_s + layer_peel_s) / 3600 * rate_per_hour"
        " / quantity, layers = (height_mm + support_lift_mm) / layer_height_mm",
        {
            "layers": layers,
            "height_mm": height,
            "support_lift_mm": sla.support_lift_mm,
            "layer_height_mm": sla.layer_height_mm,
            "layer_exposure_s": sla.layer_exposure_s,
            "layer_peel_s": sla.layer_peel_s,
        },
    )


def estimate(job: Job) -> ProcessEstimate:
    part, material, machine, quantity = job.geometry, job.material, job.machine, job.quantity
    sla: SlaParams = job.process
    dfm: list[DfmIssue] = []
    width, depth, height = oriented_fit(part.print_box_mm, machine, dfm)
    measured = job.measured or {}
    sliced = "material_g" in measured and "print_time_s" in measured
    by_layers = None if sliced else layered(job)
    grams, resin_formula, resin_inputs = _resin(job, by_layers)
    platform_time, time_formula, time_inputs = _platform_time(job, height, by_layers)
    per_platform = plate_capacity(width, depth, machine, sla.part_spacing_mm)
    platforms = math.ceil(quantity / per_platform)
    supported = part.support_volume_mm3 + part.footprint_mm2 * sla.support_lift_mm
    labour = sla.labour_rate_per_hour
    # The volume formula's support has no pad; the slicer's and the layer estimate's have.
    holds = " and pad (sliced)" if "material_g" in measured else " and pad" if by_layers else ""
    items = [
        cost(
            "material",
            f"{material.name} resin incl. supports{holds}",
            "material",
            grams * material.price_per_kg / 1000,
            resin_formula,
            **resin_inputs,
        ),
        cost(
            "machine_time",
            f"Printing on {machine.name}, platform shared by the order",
            "machine",
            platforms * platform_time / 3600 * machine.rate_per_hour / quantity,
            time_formula,
            platforms=platforms,
            **time_inputs,
            rate_per_hour=machine.rate_per_hour,
            quantity=quantity,
        ),
        plate_setup_item(job, platforms, per_platform),
        cost(
            "wash_cure",
            "Washing and post-curing, per platform",
            "post_processing",
            platforms * sla.wash_cure_min / 60 * labour / quantity,
            "platforms * wash_cure_min / 60 * labour_rate_per_hour / quantity",
            platforms=platforms,
            wash_cure_min=sla.wash_cure_min,
            labour_rate_per_hour=labour,
            quantity=quantity,
        ),
        support_removal_item(job, supported),
    ]
    return ProcessEstimate(
        items=tuple(items),
        material_g=grams,
        machine_time_s=platforms * platform_time / quantity,
        order_machine_time_s=platforms * platform_time,
        parts_per_batch=per_platform,
        batches=platforms,
        dfm=tuple(dfm),
        additive=True,
        print_time_s=platform_time,
    )
