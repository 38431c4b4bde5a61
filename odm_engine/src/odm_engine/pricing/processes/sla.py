"""SLA/DLP: resin for the part and its supports; time = layers * (exposure + peel) per platform.

Every layer of a platform takes the same time however many parts it holds, so the platform
time is shared by the parts of the order printed on it.
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
from odm_engine.pricing.processes.plate import plate_setup_item, support_removal_item


def estimate(job: Job) -> ProcessEstimate:
    part, material, machine, quantity = job.geometry, job.material, job.machine, job.quantity
    sla: SlaParams = job.process
    dfm: list[DfmIssue] = []
    width, depth, height = oriented_fit(part.print_box_mm, machine, dfm)

    build_height = height + sla.support_lift_mm
    layers = math.ceil(build_height / sla.layer_height_mm)
    platform_time = layers * (sla.layer_exposure_s + sla.layer_peel_s)
    per_platform = plate_capacity(width, depth, machine, sla.part_spacing_mm)
    platforms = math.ceil(quantity / per_platform)

    supported = part.support_volume_mm3 + part.footprint_mm2 * sla.support_lift_mm
    support = supported * sla.support_density_pct / 100
    grams = (part.volume_mm3 + support) / 1000 * material.density_g_cm3
    labour = sla.labour_rate_per_hour
    items = [
        cost(
            "material",
            f"{material.name} resin incl. supports",
            "material",
            grams * material.price_per_kg / 1000,
            "(volume_mm3 + support_mm3) / 1000 * density_g_cm3 * price_per_kg / 1000",
            volume_mm3=part.volume_mm3,
            support_mm3=support,
            density_g_cm3=material.density_g_cm3,
            price_per_kg=material.price_per_kg,
        ),
        cost(
            "machine_time",
            f"Printing on {machine.name}, platform shared by the order",
            "machine",
            platforms * platform_time / 3600 * machine.rate_per_hour / quantity,
            "platforms * layers * (layer_exposure_s + layer_peel_s) / 3600 * rate_per_hour"
            " / quantity, layers = (height_mm + support_lift_mm) / layer_height_mm",
            platforms=platforms,
            layers=layers,
            height_mm=height,
            support_lift_mm=sla.support_lift_mm,
            layer_height_mm=sla.layer_height_mm,
            layer_exposure_s=sla.layer_exposure_s,
            layer_peel_s=sla.layer_peel_s,
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
    )
