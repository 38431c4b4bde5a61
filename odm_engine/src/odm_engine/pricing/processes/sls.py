"""SLS/MJF: each part pays its packing share of a full, nested build chamber.

Share = oriented bounding-box volume / (chamber volume * packing density). A full build takes
the warm-up/cool-down overhead plus one layer time per layer of chamber height. Powder used is
the part plus the refresh share of the unfused cake around it.
"""

import math

from odm_engine.pricing.costing import (
    DfmIssue,
    Job,
    ProcessEstimate,
    cost,
    envelope_issue,
    fit_in_envelope,
)
from odm_engine.pricing.params import SlsParams


def estimate(job: Job) -> ProcessEstimate:
    part, material, machine, quantity = job.geometry, job.material, job.machine, job.quantity
    sls: SlsParams = job.process
    dfm: list[DfmIssue] = []
    if fit_in_envelope(part.obb_mm, machine) is None:
        dfm.append(envelope_issue(part.obb_mm, machine))

    box_mm3 = math.prod(part.obb_mm)
    chamber_mm3 = machine.build_x_mm * machine.build_y_mm * machine.build_z_mm
    nested_mm3 = chamber_mm3 * sls.packing_density_pct / 100
    share = box_mm3 / nested_mm3
    per_build = max(1, math.floor(nested_mm3 / box_mm3))
    layers = math.ceil(machine.build_z_mm / sls.layer_height_mm)
    build_time = sls.build_overhead_h * 3600 + layers * sls.layer_time_s

    part_g = part.volume_mm3 / 1000 * material.density_g_cm3
    cake_mm3 = max(0.0, box_mm3 * 100 / sls.packing_density_pct - part.volume_mm3)
    cake_g = cake_mm3 / 1000 * material.bulk_density_g_cm3
    powder_g = part_g + cake_g * sls.refresh_pct / 100
    labour = sls.labour_rate_per_hour
    items = (
        cost(
            "material",
            f"{material.name} powder incl. refresh",
            "material",
            powder_g * material.price_per_kg / 1000,
            "(part_g + cake_g * refresh_pct / 100) * price_per_kg / 1000, part_g = volume_mm3 "
            "/ 1000 * density_g_cm3, cake_g = (box_mm3 / (packing_density_pct / 100) - "
            "volume_mm3) / 1000 * bulk_density_g_cm3",
            volume_mm3=part.volume_mm3,
            box_mm3=box_mm3,
            packing_density_pct=sls.packing_density_pct,
            density_g_cm3=material.density_g_cm3,
            bulk_density_g_cm3=material.bulk_density_g_cm3,
            refresh_pct=sls.refresh_pct,
            price_per_kg=material.price_per_kg,
        ),
        cost(
            "machine_time",
            f"Share of a {machine.name} build",
            "machine",
            share * build_time / 3600 * machine.rate_per_hour,
            "share * (build_overhead_h + layers * layer_time_s / 3600) * rate_per_hour, "
            "share = box_mm3 / (chamber_mm3 * packing_density_pct / 100), "
            "layers = chamber_height_mm / layer_height_mm",
            share=share,
            box_mm3=box_mm3,
            chamber_mm3=chamber_mm3,
            packing_density_pct=sls.packing_density_pct,
            build_overhead_h=sls.build_overhead_h,
            layers=layers,
            chamber_height_mm=machine.build_z_mm,
            layer_height_mm=sls.layer_height_mm,
            layer_time_s=sls.layer_time_s,
            rate_per_hour=machine.rate_per_hour,
        ),
        cost(
            "build_setup",
            "Share of build preparation and unpacking",
            "setup",
            share * sls.build_setup_min / 60 * labour,
            "share * build_setup_min / 60 * labour_rate_per_hour",
            share=share,
            build_setup_min=sls.build_setup_min,
            labour_rate_per_hour=labour,
        ),
        cost(
            "depowdering",
            "Depowdering and bead blasting",
            "post_processing",
            sls.depowder_min_per_part / 60 * labour,
            "depowder_min_per_part / 60 * labour_rate_per_hour",
            depowder_min_per_part=sls.depowder_min_per_part,
            labour_rate_per_hour=labour,
        ),
    )
    return ProcessEstimate(
        items=items,
        material_g=powder_g,
        machine_time_s=share * build_time,
        order_machine_time_s=math.ceil(quantity / per_build) * build_time,
        parts_per_batch=per_build,
        batches=math.ceil(quantity / per_build),
        dfm=tuple(dfm),
        additive=True,
    )
