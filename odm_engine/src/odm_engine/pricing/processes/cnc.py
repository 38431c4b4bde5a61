"""CNC milling from a rectangular blank: stock, roughing, finishing, setups and CAM programming.

The blank is the part's oriented box plus an allowance on every side. Roughing time is the
removed volume over the material's removal rate, finishing time the surface over its finishing
rate. Setups (from the geometry's ``cnc.setups``) are paid once per order at the machine rate,
CAM programming once per order at the labour rate. Deep pockets and sharp inner edges add
machining time and become DFM warnings.
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
from odm_engine.pricing.params import CncParams


def stock_mm(job: Job) -> tuple[float, float, float]:
    allowance = 2 * job.process.stock_allowance_mm
    return tuple(size + allowance for size in job.geometry.obb_mm)  # type: ignore[return-value]


def estimate(job: Job) -> ProcessEstimate:
    part, material, machine, quantity = job.geometry, job.material, job.machine, job.quantity
    cnc: CncParams = job.process
    dfm: list[DfmIssue] = []
    blank = stock_mm(job)
    if fit_in_envelope(blank, machine) is None:
        dfm.append(envelope_issue(blank, machine))

    stock_mm3 = math.prod(blank)
    stock_g = stock_mm3 / 1000 * material.density_g_cm3
    removed_mm3 = max(0.0, stock_mm3 - part.volume_mm3)
    roughing_min = removed_mm3 / 1000 / material.removal_rate_cm3_min
    finishing_min = part.area_mm2 / 100 / material.finishing_rate_cm2_min
    cutting_min = roughing_min + finishing_min
    setups = part.cnc_setups
    handling_min = setups * cnc.load_unload_min_per_setup
    rate = machine.rate_per_hour
    items = [
        cost(
            "material",
            f"{material.name} blank",
            "material",
            stock_g * material.price_per_kg / 1000,
            "stock_x_mm * stock_y_mm * stock_z_mm / 1000 * density_g_cm3 * price_per_kg / 1000, "
            "stock = oriented box + 2 * stock_allowance_mm",
            stock_x_mm=blank[0],
            stock_y_mm=blank[1],
            stock_z_mm=blank[2],
            stock_allowance_mm=cnc.stock_allowance_mm,
            density_g_cm3=material.density_g_cm3,
            price_per_kg=material.price_per_kg,
        ),
        cost(
            "machining",
            f"Milling on {machine.name}",
            "machine",
            cutting_min / 60 * rate,
            "(removed_mm3 / 1000 / removal_rate_cm3_min + area_mm2 / 100 / "
            "finishing_rate_cm2_min) / 60 * rate_per_hour",
            removed_mm3=removed_mm3,
            removal_rate_cm3_min=material.removal_rate_cm3_min,
            area_mm2=part.area_mm2,
            finishing_rate_cm2_min=material.finishing_rate_cm2_min,
            rate_per_hour=rate,
        ),
        cost(
            "part_handling",
            "Clamping each part in each setup",
            "machine",
            handling_min / 60 * rate,
            "setups * load_unload_min_per_setup / 60 * rate_per_hour",
            setups=setups,
            load_unload_min_per_setup=cnc.load_unload_min_per_setup,
            rate_per_hour=rate,
        ),
    ]
    surcharge_min = 0.0
    if part.deep_pocket_ratio > cnc.deep_pocket_ratio:
        deep_min = cutting_min * cnc.deep_pocket_surcharge_pct / 100
        surcharge_min += deep_min
        items.append(
            cost(
                "deep_pocket",
                "Deep pocket: long tools, reduced feeds",
                "surcharge",
                deep_min / 60 * rate,
                "machining_min * deep_pocket_surcharge_pct / 100 / 60 * rate_per_hour",
                machining_min=cutting_min,
                deep_pocket_surcharge_pct=cnc.deep_pocket_surcharge_pct,
                rate_per_hour=rate,
            )
        )
        dfm.append(
            DfmIssue(
                "deep_pocket",
                "warning",
                f"A pocket is {part.deep_pocket_ratio:.1f} times deeper than wide "
                f"(limit {cnc.deep_pocket_ratio:g}): long tools and slow feeds "
                f"(+{cnc.deep_pocket_surcharge_pct:g} % machining time). "
                "Make it shallower or wider.",
            )
        )
    if part.sharp_inner_edges:
        edge_min = part.sharp_inner_edge_length_mm * cnc.sharp_edge_min_per_mm
        surcharge_min += edge_min
        items.append(
            cost(
                "sharp_inner_edges",
                "Sharp inner edges: small tools or EDM",
                "surcharge",
                edge_min / 60 * rate,
                "sharp_edge_length_mm * sharp_edge_min_per_mm / 60 * rate_per_hour",
                sharp_edge_length_mm=part.sharp_inner_edge_length_mm,
                sharp_edge_min_per_mm=cnc.sharp_edge_min_per_mm,
                rate_per_hour=rate,
            )
        )
        dfm.append(
            DfmIssue(
                "sharp_inner_edges",
                "warning",
                f"{part.sharp_inner_edges} sharp inner edge(s), "
                f"{part.sharp_inner_edge_length_mm:.0f} mm long, cannot be cut by a round "
                "end mill: add an inner radius or accept the EDM/small-tool surcharge.",
            )
        )
    inaccessible_pct = part.cnc_inaccessible_area_mm2 / part.area_mm2 * 100
    if inaccessible_pct > cnc.max_inaccessible_pct:
        dfm.append(
            DfmIssue(
                "inaccessible_surface",
                "warning",
                f"{part.cnc_inaccessible_area_mm2:.0f} mm² ({inaccessible_pct:.0f} % of the "
                "surface) cannot be reached from any side by a 3-axis machine: it needs 4/5-axis "
                "machining or EDM (not priced here), or a redesign.",
            )
        )
    setup_min = setups * cnc.setup_min_per_setup
    programming_min = cnc.programming_min + setups * cnc.programming_min_per_setup
    items += [
        cost(
            "machine_setup",
            "Machine setups, spread over quantity",
            "setup",
            setup_min / 60 * rate / quantity,
            "setups * setup_min_per_setup / 60 * rate_per_hour / quantity",
            setups=setups,
            setup_min_per_setup=cnc.setup_min_per_setup,
            rate_per_hour=rate,
            quantity=quantity,
        ),
        cost(
            "programming",
            "CAM programming, spread over quantity",
            "setup",
            programming_min / 60 * cnc.labour_rate_per_hour / quantity,
            "(programming_min + setups * programming_min_per_setup) / 60 * labour_rate_per_hour"
            " / quantity",
            programming_min=cnc.programming_min,
            setups=setups,
            programming_min_per_setup=cnc.programming_min_per_setup,
            labour_rate_per_hour=cnc.labour_rate_per_hour,
            quantity=quantity,
        ),
    ]
    part_time_s = (cutting_min + handling_min + surcharge_min) * 60
    return ProcessEstimate(
        items=tuple(items),
        material_g=stock_g,
        machine_time_s=part_time_s,
        order_machine_time_s=part_time_s * quantity + setup_min * 60,
        parts_per_batch=quantity,
        batches=1,
        dfm=tuple(dfm),
    )
