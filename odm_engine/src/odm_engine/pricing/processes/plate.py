"""Cost items shared by the plate-printing processes (FDM, SLA/DLP), and how both find the
slicer profiles and the analysis's layer table their layer-based estimates price from."""

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from odm_engine.pricing.costing import CostItem, Job, cost
from odm_engine.pricing.params import PlatePrintParams
from odm_engine.slicing import layers, profile_reader, sla_layers

# Each technology's default (printer, material) profile set.
DEFAULT_PROFILES = {
    "fdm": (profile_reader.DEFAULT_PRINTER, profile_reader.DEFAULT_MATERIAL),
    "sla": (profile_reader.DEFAULT_SLA_PRINTER, profile_reader.DEFAULT_SLA_MATERIAL),
}


def slicer_profile(job: Job) -> tuple[str, str]:
    """(printer, material) codes of the PrusaSlicer profiles that price this job: the printer
    named like the machine's code and the material's own, else the technology's defaults."""
    technology = job.process.technology
    printer, material = DEFAULT_PROFILES[technology]
    if job.machine.code.upper() in profile_reader.available_printers(technology=technology):
        printer = job.machine.code.upper()
    if job.material.code.upper() in profile_reader.available_materials(technology=technology):
        material = job.material.code.upper()
    return printer, material


# The module of each technology's layer-based estimate: its analysis key and table version.
LAYER_TABLES = {"fdm": layers, "sla": sla_layers}


def reads_layer_table(table: Mapping[str, Any] | None, tables: ModuleType) -> bool:
    """Whether an analysis's layer table is one the estimate of module ``tables`` (its
    ``TABLE_VERSION``) prices from; an analysis stored without it, or by another version,
    prices with the process's volume formula."""
    return bool(table) and table.get("version") == tables.TABLE_VERSION


def stale_layer_tables(analysis: Mapping[str, Any]) -> tuple[str, ...]:
    """Technologies whose layer table this engine does not read in ``analysis`` (missing, or
    stored by another version): analysing the file again gives that technology its layer-based
    estimate back, which until then falls back to the volume formula."""
    return tuple(
        technology
        for technology, tables in LAYER_TABLES.items()
        if not reads_layer_table(analysis.get(tables.ANALYSIS_KEY), tables)
    )


def prices_by_layers(technology: str, analysis: Mapping[str, Any]) -> bool:
    """Whether a ``technology`` quote of this analysis is priced layer by layer."""
    tables = LAYER_TABLES.get(technology)
    return tables is not None and reads_layer_table(analysis.get(tables.ANALYSIS_KEY), tables)


def plate_setup_item(job: Job, plates: int, parts_per_plate: int) -> CostItem:
    """Operator time per plate, spread over the parts of the order."""
    process: PlatePrintParams = job.process
    return cost(
        "plate_setup",
        "Build plate setup, spread over quantity",
        "setup",
        plates * process.plate_setup_min / 60 * process.labour_rate_per_hour / job.quantity,
        "plates * plate_setup_min / 60 * labour_rate_per_hour / quantity, "
        "plates = ceil(quantity / parts_per_plate)",
        plates=plates,
        parts_per_plate=parts_per_plate,
        plate_setup_min=process.plate_setup_min,
        labour_rate_per_hour=process.labour_rate_per_hour,
        quantity=job.quantity,
    )


def support_removal_item(job: Job, supported_mm3: float) -> CostItem:
    """Manual support removal, proportional to the supported region."""
    process: PlatePrintParams = job.process
    return cost(
        "support_removal",
        "Support removal",
        "post_processing",
        supported_mm3
        / 1000
        * process.support_removal_min_per_cm3
        / 60
        * process.labour_rate_per_hour,
        "supported_mm3 / 1000 * support_removal_min_per_cm3 / 60 * labour_rate_per_hour",
        supported_mm3=supported_mm3,
        support_removal_min_per_cm3=process.support_removal_min_per_cm3,
        labour_rate_per_hour=process.labour_rate_per_hour,
    )
