"""Cost items shared by the plate-printing processes (FDM, SLA/DLP)."""

from odm_engine.pricing.costing import CostItem, Job, cost
from odm_engine.pricing.params import PlatePrintParams


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
