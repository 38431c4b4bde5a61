"""Pricing records seeded from the engine's defaults, so the numbers live in one place.

Run once, when odm_quote is installed (data/odm_pricing_seed.xml), before any demo data.
"""

import dataclasses
import re

from odm_engine.pricing.defaults import default_config

MODULE = "odm_quote"
# Slicer printer profile of each default FDM and SLA machine type that has one, by machine type
# code (odm_engine/slicing/profiles).
SLICER_PRINTERS = {"prusa_mk4s": "MK4", "form4": "SL1S"}


def xmlid(prefix, code):
    """Stable external id of a seeded record, e.g. material_resin_std for RESIN-STD."""
    return f"{prefix}_{re.sub('[^a-z0-9]+', '_', code.lower()).strip('_')}"


def _seed(env, model, prefix, records_values):
    """Creates the records whose external id does not exist yet; returns code -> record."""
    created = {}
    for code, values in records_values.items():
        name = xmlid(prefix, code)
        record = env.ref(f"{MODULE}.{name}", raise_if_not_found=False)
        if not record:
            record = env[model].create(values)
            env["ir.model.data"]._update_xmlids(
                [{"xml_id": f"{MODULE}.{name}", "record": record, "noupdate": True}]
            )
        created[code] = record
    return created


def seed_pricing_records(env):
    config = default_config()
    processes = _seed(
        env,
        "odm.process",
        "process",
        {
            code: {"name": params.name, "code": code, "technology": params.technology}
            for code, params in config.processes.items()
        },
    )
    for code, process in processes.items():
        params = config.processes[code]
        # A process seeded by an older engine lacks the parameters added since.
        process._add_missing_parameters(dataclasses.asdict(params))
        for line in process.parameter_ids:
            line.value = getattr(params, line.key)
    materials = _seed(
        env,
        "odm.material",
        "material",
        {
            code: {
                "name": material.name,
                "code": code,
                "process_ids": [(6, 0, [processes[p].id for p in material.processes])],
                **{field: getattr(material, field) for field in env["odm.material"].ENGINE_FIELDS},
            }
            for code, material in config.materials.items()
        },
    )
    for code, process in processes.items():
        if not process.default_material_id:
            process.default_material_id = materials[config.processes[code].default_material]
    _seed(
        env,
        "odm.machine.type",
        "machine_type",
        {
            code: {
                "name": machine.name,
                "code": code,
                "process_id": processes[machine.process].id,
                "rate_per_hour": machine.rate_per_hour,
                "build_x_mm": machine.build_x_mm,
                "build_y_mm": machine.build_y_mm,
                "build_z_mm": machine.build_z_mm,
                "available_hours_per_day": machine.available_hours_per_day,
                "clamp_force_kn": machine.clamp_force_kn,
                "slicer_printer": SLICER_PRINTERS.get(code, False),
            }
            for code, machine in config.machines.items()
        },
    )
    _seed(
        env,
        "odm.finish",
        "finish",
        {
            code: {
                "name": finish.name,
                "code": code,
                "process_ids": [(6, 0, [processes[p].id for p in finish.processes])],
                "material_ids": [(6, 0, [materials[m].id for m in finish.materials])],
                "setup_price": finish.setup_price,
                "price_per_part": finish.price_per_part,
                "price_per_cm2": finish.price_per_cm2,
                "extra_days": finish.extra_days,
            }
            for code, finish in config.finishes.items()
        },
    )
    tiers = _seed(
        env,
        "odm.lead.time.tier",
        "lead_time",
        {
            code: {
                "name": tier.name,
                "code": code,
                "sequence": sequence,
                "lead_time_factor": tier.lead_time_factor,
                "price_factor": tier.price_factor,
            }
            for sequence, (code, tier) in enumerate(config.lead_time_tiers.items())
        },
    )
    _seed(
        env,
        "odm.quantity.break",
        "quantity_break",
        {
            f"{qb.process or 'all'}_{qb.min_quantity}": {
                "min_quantity": qb.min_quantity,
                "discount_pct": qb.discount_pct,
                "process_id": processes[qb.process].id if qb.process else False,
            }
            for qb in config.quantity_breaks
        },
    )
    _seed(
        env,
        "odm.margin",
        "margin",
        {
            margin.process or "default": {
                "process_id": processes[margin.process].id if margin.process else False,
                "markup_pct": margin.markup_pct,
                "minimum_order_value": margin.minimum_order_value,
            }
            for margin in config.margins
        },
    )
    company = env.company
    if not company.odm_default_process_id:
        company.odm_default_process_id = processes[config.default_process]
    if not company.odm_default_lead_time_id:
        company.odm_default_lead_time_id = tiers[config.default_lead_time]


def set_seeded_slicer_printers(env):
    """Names the slicer profile of the seeded machine types that have none (a database seeded
    before the profiles were: its precise quotes fell back to the first profile that fits)."""
    for code, printer in SLICER_PRINTERS.items():
        record = env.ref(f"{MODULE}.{xmlid('machine_type', code)}", raise_if_not_found=False)
        if record and not record.slicer_printer:
            record.slicer_printer = printer
