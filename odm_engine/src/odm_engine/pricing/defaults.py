"""Default pricing parameters: realistic starting values for a European job shop (EUR, 2025).

Every value here is a starting point to be tuned (by a config file for ``odm-quote``, by the
pricing records in Odoo); ``docs/quoting.md`` explains what each one does. Sources are typical
list prices and machine data sheets; rates are fully burdened shop rates.
"""

import dataclasses
from pathlib import Path

from odm_engine.pricing.params import (
    CncParams,
    FdmParams,
    Finish,
    LeadTimeTier,
    MachineRate,
    Margin,
    Material,
    MjfParams,
    MouldingParams,
    PricingConfig,
    QuantityBreak,
    SlaParams,
    SlsParams,
    read_overrides,
)

# What each process holds as made and what specifications cost in it (ProcessParams): ISO 286 /
# VDI 3405 figures for printing, a 3-axis mill's shop practice, a bridge tool's moulding.
_SPECIFICATION_RATES = {
    "FDM": {
        "standard_tolerance_mm": 0.3,
        "best_tolerance_mm": 0.1,
        "thread_min": 2.0,
        "insert_min": 1.5,
        "insert_price": 0.12,
        "standard_roughness_ra_um": 12.5,
        "finishing_min_per_cm2": 0.08,
    },
    "SLA": {
        "standard_tolerance_mm": 0.15,
        "best_tolerance_mm": 0.05,
        "thread_min": 2.0,
        "insert_min": 1.5,
        "insert_price": 0.15,
        "standard_roughness_ra_um": 3.2,
        "finishing_min_per_cm2": 0.06,
    },
    "SLS": {
        "standard_tolerance_mm": 0.3,
        "best_tolerance_mm": 0.1,
        "thread_min": 2.0,
        "insert_min": 1.5,
        "insert_price": 0.15,
        "standard_roughness_ra_um": 6.3,
        "finishing_min_per_cm2": 0.06,
    },
    "MJF": {
        "standard_tolerance_mm": 0.3,
        "best_tolerance_mm": 0.1,
        "thread_min": 2.0,
        "insert_min": 1.5,
        "insert_price": 0.15,
        "standard_roughness_ra_um": 6.3,
        "finishing_min_per_cm2": 0.06,
    },
    "CNC": {
        "standard_tolerance_mm": 0.1,
        "best_tolerance_mm": 0.01,
        "tolerance_machine_pct": 30.0,
        "thread_min": 1.0,
        "insert_min": 1.0,
        "insert_price": 0.4,
        "standard_roughness_ra_um": 3.2,
        "finishing_min_per_cm2": 0.03,
        "first_article_min": 30.0,
    },
    "MOULDING": {
        "standard_tolerance_mm": 0.1,
        "best_tolerance_mm": 0.03,
        "tolerance_machine_pct": 10.0,
        "thread_min": 1.5,
        "insert_min": 0.5,
        "insert_price": 0.1,
        "standard_roughness_ra_um": 1.6,
        "finishing_min_per_cm2": 0.05,
        "first_article_min": 60.0,
        "inspection_report_min_per_part": 5.0,
    },
}


def _processes() -> list:
    return [
        dataclasses.replace(process, **_SPECIFICATION_RATES[process.code])
        for process in _base_processes()
    ]


def _base_processes() -> list:
    return [
        FdmParams(
            code="FDM",
            name="FDM printing",
            default_material="PLA",
            labour_rate_per_hour=35.0,
            order_setup_min=5.0,
            post_process_min_per_part=1.0,
            scrap_pct=5.0,
            lead_time_days=3,
            min_wall_mm=0.8,
            critical_wall_mm=0.4,
            min_feature_mm=1.0,
            layer_height_mm=0.2,
            support_density_pct=18.0,
            part_spacing_mm=5.0,
            plate_setup_min=5.0,
            support_removal_min_per_cm3=0.5,
            # The slicer profile odm_engine/slicing/profiles/print_standard.ini (0.4 mm nozzle).
            # Flow and layer overhead fitted to PrusaSlicer 2.5 print times of 12 corpus parts
            # on the MK4 profile: estimate / slicer between 0.78 and 1.29, median 0.93.
            line_width_mm=0.45,
            perimeters=2,
            top_layers=5,
            bottom_layers=4,
            infill_pct=15.0,
            # 0.38 mm interface lines 0.2 mm apart: 2 layers about 65 % dense.
            support_interface_layers=2,
            support_interface_pct=65.0,
            volumetric_flow_mm3_s=4.5,
            layer_overhead_s=7.0,
        ),
        SlaParams(
            code="SLA",
            name="SLA resin printing",
            default_material="RESIN-STD",
            labour_rate_per_hour=35.0,
            order_setup_min=5.0,
            post_process_min_per_part=3.0,
            scrap_pct=5.0,
            lead_time_days=4,
            min_wall_mm=0.6,
            critical_wall_mm=0.2,
            min_feature_mm=0.5,
            layer_height_mm=0.05,
            support_density_pct=15.0,
            part_spacing_mm=5.0,
            plate_setup_min=5.0,
            support_removal_min_per_cm3=0.2,
            # Formlabs Form 4 class: ~6 s per 50 µm layer whatever the exposed area.
            layer_exposure_s=2.5,
            layer_peel_s=3.5,
            support_lift_mm=5.0,
            wash_cure_min=10.0,
        ),
        SlsParams(
            code="SLS",
            name="SLS nylon printing",
            default_material="PA12",
            labour_rate_per_hour=35.0,
            order_setup_min=10.0,
            post_process_min_per_part=1.0,
            scrap_pct=3.0,
            lead_time_days=5,
            min_wall_mm=0.8,
            critical_wall_mm=0.4,
            min_feature_mm=0.8,
            # EOS P 396 class: ~11 mm/h build rate, long in-machine cool-down.
            layer_height_mm=0.1,
            layer_time_s=27.0,
            build_overhead_h=12.0,
            packing_density_pct=35.0,
            refresh_pct=50.0,
            build_setup_min=90.0,
            depowder_min_per_part=2.0,
        ),
        MjfParams(
            code="MJF",
            name="MJF nylon printing",
            default_material="PA12",
            labour_rate_per_hour=35.0,
            order_setup_min=10.0,
            post_process_min_per_part=1.0,
            scrap_pct=3.0,
            lead_time_days=4,
            min_wall_mm=0.6,
            critical_wall_mm=0.3,
            min_feature_mm=0.6,
            # HP 5210 class: ~10 s per 80 µm layer, cooling off the printer.
            layer_height_mm=0.08,
            layer_time_s=10.0,
            build_overhead_h=3.0,
            packing_density_pct=40.0,
            refresh_pct=20.0,
            build_setup_min=60.0,
            depowder_min_per_part=2.0,
        ),
        CncParams(
            code="CNC",
            name="CNC milling",
            default_material="AL6061",
            labour_rate_per_hour=60.0,
            order_setup_min=10.0,
            post_process_min_per_part=3.0,
            scrap_pct=2.0,
            lead_time_days=7,
            min_wall_mm=0.5,
            critical_wall_mm=0.3,
            min_feature_mm=0.5,
            stock_allowance_mm=2.5,
            setup_min_per_setup=20.0,
            load_unload_min_per_setup=1.5,
            programming_min=20.0,
            programming_min_per_setup=10.0,
            deep_pocket_ratio=4.0,
            deep_pocket_surcharge_pct=30.0,
            sharp_edge_min_per_mm=0.05,
            max_inaccessible_pct=1.0,
        ),
        MouldingParams(
            code="MOULDING",
            name="Injection moulding (aluminium bridge tool)",
            default_material="ABS-IM",
            labour_rate_per_hour=45.0,
            order_setup_min=15.0,
            post_process_min_per_part=0.1,
            scrap_pct=2.0,
            lead_time_days=20,
            min_wall_mm=0.8,
            critical_wall_mm=0.5,
            min_feature_mm=0.5,
            mould_fixed_cost=3500.0,
            mould_cost_per_cm2=40.0,
            mould_cost_per_cm3=2.0,
            mould_cost_per_side_action=1200.0,
            undercut_area_per_side_action_mm2=600.0,
            max_side_actions=4,
            cycle_overhead_s=10.0,
            runner_waste_pct=10.0,
            press_setup_min=120.0,
            clamp_safety_factor=1.2,
            max_wall_mm=4.0,
        ),
    ]


def _materials() -> list[Material]:
    fdm, sla, powder, cnc, moulding = ("FDM",), ("SLA",), ("SLS", "MJF"), ("CNC",), ("MOULDING",)
    return [
        Material(code="PLA", name="PLA", processes=fdm, density_g_cm3=1.24, price_per_kg=25.0),
        Material(code="PETG", name="PETG", processes=fdm, density_g_cm3=1.27, price_per_kg=28.0),
        Material(
            code="ASA",
            name="ASA (UV resistant)",
            processes=fdm,
            density_g_cm3=1.07,
            price_per_kg=35.0,
        ),
        Material(code="ABS", name="ABS", processes=fdm, density_g_cm3=1.04, price_per_kg=25.0),
        Material(code="TPU", name="TPU 95A", processes=fdm, density_g_cm3=1.21, price_per_kg=40.0),
        # Resins are sold per litre: price_per_kg = price per litre / density (150 EUR/L here).
        Material(
            code="RESIN-STD",
            name="Standard resin",
            processes=sla,
            density_g_cm3=1.15,
            price_per_kg=130.0,
        ),
        Material(
            code="RESIN-TGH",
            name="Tough resin",
            processes=sla,
            density_g_cm3=1.17,
            price_per_kg=175.0,
        ),
        Material(
            code="PA12",
            name="PA12 nylon",
            processes=powder,
            density_g_cm3=1.01,
            price_per_kg=80.0,
            bulk_density_g_cm3=0.45,
        ),
        # Bar/plate stock; removal and finishing rates of a 3-axis VMC with carbide tools.
        Material(
            code="AL6061",
            name="Aluminium 6061-T6",
            processes=cnc,
            density_g_cm3=2.70,
            price_per_kg=9.0,
            removal_rate_cm3_min=40.0,
            finishing_rate_cm2_min=10.0,
        ),
        Material(
            code="AL7075",
            name="Aluminium 7075-T6",
            processes=cnc,
            density_g_cm3=2.81,
            price_per_kg=14.0,
            removal_rate_cm3_min=35.0,
            finishing_rate_cm2_min=9.0,
        ),
        Material(
            code="C45",
            name="Steel C45 (1.0503)",
            processes=cnc,
            density_g_cm3=7.85,
            price_per_kg=2.5,
            removal_rate_cm3_min=15.0,
            finishing_rate_cm2_min=5.0,
        ),
        Material(
            code="SS304",
            name="Stainless steel 304",
            processes=cnc,
            density_g_cm3=8.00,
            price_per_kg=6.0,
            removal_rate_cm3_min=8.0,
            finishing_rate_cm2_min=3.0,
        ),
        Material(
            code="POM",
            name="POM (Delrin)",
            processes=cnc,
            density_g_cm3=1.41,
            price_per_kg=12.0,
            removal_rate_cm3_min=60.0,
            finishing_rate_cm2_min=15.0,
        ),
        # Granulate; thermal data from Moldflow-type material cards (diffusivity of the melt).
        Material(
            code="ABS-IM",
            name="ABS (moulding grade)",
            processes=moulding,
            density_g_cm3=1.04,
            price_per_kg=2.8,
            thermal_diffusivity_mm2_s=0.09,
            melt_temp_c=240.0,
            mould_temp_c=60.0,
            eject_temp_c=90.0,
            cavity_pressure_mpa=40.0,
        ),
        Material(
            code="PP-IM",
            name="PP (moulding grade)",
            processes=moulding,
            density_g_cm3=0.905,
            price_per_kg=1.8,
            thermal_diffusivity_mm2_s=0.09,
            melt_temp_c=230.0,
            mould_temp_c=40.0,
            eject_temp_c=100.0,
            cavity_pressure_mpa=30.0,
        ),
        Material(
            code="PA6-GF30-IM",
            name="PA6 GF30 (moulding grade)",
            processes=moulding,
            density_g_cm3=1.36,
            price_per_kg=4.0,
            thermal_diffusivity_mm2_s=0.12,
            melt_temp_c=280.0,
            mould_temp_c=80.0,
            eject_temp_c=150.0,
            cavity_pressure_mpa=60.0,
        ),
        Material(
            code="PC-IM",
            name="PC (moulding grade)",
            processes=moulding,
            density_g_cm3=1.20,
            price_per_kg=4.5,
            thermal_diffusivity_mm2_s=0.12,
            melt_temp_c=300.0,
            mould_temp_c=90.0,
            eject_temp_c=130.0,
            cavity_pressure_mpa=60.0,
        ),
    ]


# code, name, process, rate per hour, build x/y/z mm, hours per day, clamp force kN
_MACHINES = (
    # Printer pools: several printers can work on one order in parallel.
    ("prusa_mk4s", "Original Prusa MK4S", "FDM", 3.5, 250, 210, 220, 100, 0),
    ("prusa_xl", "Original Prusa XL", "FDM", 6.0, 360, 360, 360, 40, 0),
    ("form4", "Formlabs Form 4", "SLA", 8.0, 200, 125, 210, 40, 0),
    ("form4l", "Formlabs Form 4L", "SLA", 14.0, 353, 196, 350, 20, 0),
    ("eos_p396", "EOS P 396", "SLS", 45.0, 340, 340, 600, 24, 0),
    ("hp_5210", "HP Jet Fusion 5210", "MJF", 55.0, 380, 284, 380, 24, 0),
    # CNC machines and presses: two shifts; rates include the attending operator.
    ("vmc_small", "3-axis VMC, Haas VF-2 class", "CNC", 70.0, 762, 406, 508, 16, 0),
    ("vmc_large", "3-axis VMC, Haas VF-4 class", "CNC", 85.0, 1270, 508, 635, 16, 0),
    ("press_50t", "50 t injection press", "MOULDING", 40.0, 150, 150, 100, 20, 500),
    ("press_150t", "150 t injection press", "MOULDING", 55.0, 300, 250, 150, 20, 1500),
    ("press_350t", "350 t injection press", "MOULDING", 80.0, 500, 400, 250, 20, 3500),
)

# code, name, processes, setup price per order, price per part, price per cm2, extra days,
# materials (empty: all)
_FINISHES = (
    ("SAND", "Sanded", ("FDM", "SLA"), 10.0, 2.0, 0.04, 1, ()),
    ("PRIMED", "Sanded and primed", ("FDM", "SLA"), 15.0, 3.0, 0.07, 2, ()),
    ("DYE-BLK", "Dyed black", ("SLS", "MJF"), 15.0, 1.5, 0.01, 1, ()),
    ("BEAD", "Bead blasted", ("CNC",), 10.0, 1.0, 0.01, 1, ()),
    ("ANOD-II", "Anodised (type II, clear)", ("CNC",), 60.0, 6.0, 0.03, 3, ("AL6061", "AL7075")),
    (
        "PAINT",
        "Spray painted, one colour",
        ("FDM", "SLA", "SLS", "MJF", "CNC", "MOULDING"),
        30.0,
        3.0,
        0.08,
        3,
        (),
    ),
)


def _machines() -> list[MachineRate]:
    return [
        MachineRate(
            code=code,
            name=name,
            process=process,
            rate_per_hour=rate,
            build_x_mm=x,
            build_y_mm=y,
            build_z_mm=z,
            available_hours_per_day=hours,
            clamp_force_kn=clamp,
        )
        for code, name, process, rate, x, y, z, hours, clamp in _MACHINES
    ]


def _finishes() -> list[Finish]:
    return [
        Finish(
            code=code,
            name=name,
            processes=processes,
            materials=materials,
            setup_price=setup,
            price_per_part=per_part,
            price_per_cm2=per_cm2,
            extra_days=days,
        )
        for code, name, processes, setup, per_part, per_cm2, days, materials in _FINISHES
    ]


def default_config() -> PricingConfig:
    """A fresh default configuration."""
    return PricingConfig(
        currency="EUR",
        default_process="FDM",
        default_lead_time="standard",
        comparison_quantities=(1, 10, 100, 1000, 10000),
        comparison_max_quantity=1_000_000,
        processes={process.code: process for process in _processes()},
        materials={material.code: material for material in _materials()},
        machines={machine.code: machine for machine in _machines()},
        finishes={finish.code: finish for finish in _finishes()},
        lead_time_tiers={
            tier.code: tier
            for tier in (
                LeadTimeTier(
                    code="economy", name="Economy", lead_time_factor=2.0, price_factor=0.9
                ),
                LeadTimeTier(
                    code="standard", name="Standard", lead_time_factor=1.0, price_factor=1.0
                ),
                LeadTimeTier(
                    code="express", name="Express", lead_time_factor=0.4, price_factor=1.5
                ),
            )
        },
        quantity_breaks=(
            QuantityBreak(min_quantity=10, discount_pct=3.0),
            QuantityBreak(min_quantity=50, discount_pct=6.0),
            QuantityBreak(min_quantity=100, discount_pct=10.0),
            QuantityBreak(min_quantity=500, discount_pct=15.0),
        ),
        margins=(
            Margin(markup_pct=35.0, minimum_order_value=20.0),
            Margin(process="CNC", markup_pct=30.0, minimum_order_value=60.0),
            Margin(process="MOULDING", markup_pct=20.0, minimum_order_value=0.0),
        ),
    )


def load_config(path: str | Path | None = None) -> PricingConfig:
    """The defaults, with a JSON/TOML override file applied when one is given."""
    config = default_config()
    return config.with_overrides(read_overrides(path)) if path else config
