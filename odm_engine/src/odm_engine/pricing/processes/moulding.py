"""Injection moulding, first order: a bridge tool amortised over the quantity, one cavity.

Mould cost grows with the projected area (cavity machining), the part's size (mould block) and
the side actions needed for undercuts. The cycle is dominated by cooling, which grows with the
square of the wall thickness (one-dimensional conduction through a plate):

    t_cool = s² / (π² · a) · ln(4/π · (T_melt - T_mould) / (T_eject - T_mould))

with s the equivalent wall 2·V/A and a the thermal diffusivity of the material.
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
from odm_engine.pricing.params import MouldingParams


def cooling_time_s(wall_mm: float, job: Job) -> float:
    material = job.material
    driving = (
        4
        / math.pi
        * (material.melt_temp_c - material.mould_temp_c)
        / (material.eject_temp_c - material.mould_temp_c)
    )
    return wall_mm**2 / (math.pi**2 * material.thermal_diffusivity_mm2_s) * math.log(driving)


def side_actions(job: Job) -> int:
    return math.ceil(job.geometry.undercut_area_mm2 / job.process.undercut_area_per_side_action_mm2)


def mould_cost(job: Job) -> float:
    moulding: MouldingParams = job.process
    part = job.geometry
    return (
        moulding.mould_fixed_cost
        + part.projected_area_mm2 / 100 * moulding.mould_cost_per_cm2
        + math.prod(part.bbox_mm) / 1000 * moulding.mould_cost_per_cm3
        + side_actions(job) * moulding.mould_cost_per_side_action
    )


def clamp_force_kn(job: Job) -> float:
    """Projected area * cavity pressure (N/mm² = MPa) * safety factor, in kN."""
    return (
        job.geometry.projected_area_mm2
        * job.material.cavity_pressure_mpa
        * job.process.clamp_safety_factor
        / 1000
    )


def estimate(job: Job) -> ProcessEstimate:
    part, material, machine, quantity = job.geometry, job.material, job.machine, job.quantity
    moulding: MouldingParams = job.process
    dfm: list[DfmIssue] = []
    if fit_in_envelope(part.bbox_mm, machine) is None:
        dfm.append(envelope_issue(part.bbox_mm, machine))
    force = clamp_force_kn(job)
    if force > machine.clamp_force_kn:
        dfm.append(
            DfmIssue(
                "clamp_force",
                "fatal",
                f"The part needs {force:.0f} kN of clamp force; the largest press, "
                f"{machine.name}, has {machine.clamp_force_kn:.0f} kN.",
            )
        )
    wall = part.equivalent_wall_mm
    if wall > moulding.max_wall_mm:
        dfm.append(
            DfmIssue(
                "thick_wall",
                "warning",
                f"Walls average {wall:.1f} mm (2·volume/area), above the {moulding.max_wall_mm:g} "
                "mm that moulds well: sink marks and long cooling. Core out thick sections.",
            )
        )
    slides = side_actions(job)
    if slides > moulding.max_side_actions:
        dfm.append(
            DfmIssue(
                "undercuts",
                "warning",
                f"{part.undercut_area_mm2:.0f} mm² of undercuts need about {slides} side "
                f"actions (more than {moulding.max_side_actions}): redesign to release in the "
                "draw direction.",
            )
        )
    elif slides:
        dfm.append(
            DfmIssue(
                "undercuts",
                "info",
                f"{part.undercut_area_mm2:.0f} mm² of undercuts: {slides} side action(s) in the "
                "mould.",
            )
        )

    cooling = cooling_time_s(wall, job)
    cycle = cooling + moulding.cycle_overhead_s
    shot_g = part.volume_mm3 / 1000 * material.density_g_cm3 * (1 + moulding.runner_waste_pct / 100)
    tooling = mould_cost(job)
    rate = machine.rate_per_hour
    items = (
        cost(
            "material",
            f"{material.name} granulate incl. runner",
            "material",
            shot_g * material.price_per_kg / 1000,
            "volume_mm3 / 1000 * density_g_cm3 * (1 + runner_waste_pct / 100) * price_per_kg"
            " / 1000",
            volume_mm3=part.volume_mm3,
            density_g_cm3=material.density_g_cm3,
            runner_waste_pct=moulding.runner_waste_pct,
            price_per_kg=material.price_per_kg,
        ),
        cost(
            "machine_time",
            f"Moulding cycle on {machine.name}",
            "machine",
            cycle / 3600 * rate,
            "(cooling_s + cycle_overhead_s) / 3600 * rate_per_hour, cooling_s = wall_mm² / "
            "(π² * thermal_diffusivity_mm2_s) * ln(4/π * (melt_temp_c - mould_temp_c) / "
            "(eject_temp_c - mould_temp_c)), wall_mm = 2 * volume / area",
            cooling_s=cooling,
            cycle_overhead_s=moulding.cycle_overhead_s,
            wall_mm=wall,
            thermal_diffusivity_mm2_s=material.thermal_diffusivity_mm2_s,
            melt_temp_c=material.melt_temp_c,
            mould_temp_c=material.mould_temp_c,
            eject_temp_c=material.eject_temp_c,
            rate_per_hour=rate,
        ),
        cost(
            "press_setup",
            "Mould mounting and first-off approval, spread over quantity",
            "setup",
            moulding.press_setup_min / 60 * rate / quantity,
            "press_setup_min / 60 * rate_per_hour / quantity",
            press_setup_min=moulding.press_setup_min,
            rate_per_hour=rate,
            quantity=quantity,
        ),
        cost(
            "mould",
            "Mould (tooling), spread over quantity",
            "tooling",
            tooling / quantity,
            "(mould_fixed_cost + projected_area_mm2 / 100 * mould_cost_per_cm2 + bbox_mm3 / "
            "1000 * mould_cost_per_cm3 + side_actions * mould_cost_per_side_action) / quantity",
            mould_fixed_cost=moulding.mould_fixed_cost,
            projected_area_mm2=part.projected_area_mm2,
            mould_cost_per_cm2=moulding.mould_cost_per_cm2,
            bbox_mm3=math.prod(part.bbox_mm),
            mould_cost_per_cm3=moulding.mould_cost_per_cm3,
            side_actions=slides,
            mould_cost_per_side_action=moulding.mould_cost_per_side_action,
            quantity=quantity,
        ),
    )
    return ProcessEstimate(
        items=items,
        material_g=shot_g,
        machine_time_s=cycle,
        order_machine_time_s=cycle * quantity + moulding.press_setup_min * 60,
        parts_per_batch=quantity,
        batches=1,
        dfm=tuple(dfm),
    )
