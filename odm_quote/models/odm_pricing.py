import dataclasses

from odoo import api, models
from odoo.exceptions import UserError, ValidationError

from odm_engine.mesh.limits import Limits
from odm_engine.pricing import print_calibration
from odm_engine.pricing.params import (
    ConfigError,
    LeadTimeTier,
    Margin,
    PricingConfig,
    PricingError,
    QuantityBreak,
)
from odm_engine.pricing.processes.plate import prices_by_layers
from odm_engine.pricing.quote import quote_part
from odm_engine.service import ENGINE_VERSION
from odm_engine.slicing import precise

from .pricing_seed import seed_pricing_records


class OdmPricing(models.AbstractModel):
    """Builds the engine's pricing configuration from the company's editable records."""

    _name = "odm.pricing"
    _description = "Quoting Engine Configuration"

    @api.model
    def engine_config(self, company=None):
        company = company or self.env.company
        domain = [("company_id", "in", (company.id, False))]
        processes = self.env["odm.process"].search(domain)
        materials = self.env["odm.material"].search(domain)
        machine_types = self.env["odm.machine.type"].search(domain)
        finishes = self.env["odm.finish"].search(domain)
        tiers = self.env["odm.lead.time.tier"].search(domain)
        default_process = company.odm_default_process_id or processes[:1]
        default_tier = (
            company.odm_default_lead_time_id
            or tiers.filtered(lambda tier: tier.lead_time_factor == 1)[:1]
        )
        quantities = company.odm_comparison_quantity_list()
        try:
            return PricingConfig(
                currency=company.currency_id.name,
                default_process=default_process.code or "",
                default_lead_time=default_tier.code or "",
                comparison_quantities=quantities,
                comparison_max_quantity=max(1_000_000, *quantities),
                processes={p.code: p.engine_params() for p in processes},
                materials={m.code: m.engine_record(company) for m in materials},
                machines={t.code: t.engine_record(company) for t in machine_types},
                finishes={f.code: f.engine_record(company) for f in finishes},
                lead_time_tiers={
                    tier.code: LeadTimeTier(
                        code=tier.code,
                        name=tier.name,
                        lead_time_factor=tier.lead_time_factor,
                        price_factor=tier.price_factor,
                    )
                    for tier in tiers
                },
                quantity_breaks=tuple(
                    QuantityBreak(
                        min_quantity=qb.min_quantity,
                        discount_pct=qb.discount_pct,
                        process=qb.process_id.code or "",
                    )
                    for qb in self.env["odm.quantity.break"].search(domain)
                ),
                margins=tuple(
                    Margin(
                        process=margin.process_id.code or "",
                        markup_pct=margin.markup_pct,
                        minimum_order_value=margin._odm_engine_value(
                            "minimum_order_value", company
                        ),
                    )
                    for margin in self.env["odm.margin"].search(domain)
                ),
            )
        except ConfigError as error:
            raise ValidationError(
                self.env._("The quoting configuration is inconsistent: %(error)s", error=error)
            ) from error

    @api.model
    def seed_defaults(self):
        seed_pricing_records(self.env)

    @api.model
    def engine_limits(self, company=None):
        company = company or self.env.company
        return Limits(
            max_file_bytes=company.odm_max_upload_mb * 2**20,
            max_triangles=company.odm_max_triangles,
        )

    @api.model
    def quote(
        self,
        part,
        process,
        material,
        quantity,
        *,
        finish=None,
        lead_time=None,
        measured=None,
        config=None,
        specification=None,
        with_band=True,
    ):
        """Prices a part; returns (engine Quote, frozen parameters). UserError on refusal.

        ``measured`` holds slicer figures (precise quotes). Without them, an FDM process with a
        calibration prices its calibrated instant figures, and their range is kept with the
        parameters so the quote can show its uncertainty. ``config`` is the part company's
        ``engine_config()``: callers pricing several parts build it once and pass it.
        ``specification``: the engine's dict of tolerance, threads... (odm.part.specification).
        ``with_band=False`` leaves out the unit prices at both ends of an estimate's range (two
        more engine runs): rows nobody shows the band of (a price grid) pass it.
        """
        config = config or self.engine_config(part.company_id)
        analysis = part.analysis  # read once: a Json field deep-copies its value on every read

        def priced(figures=None):
            return quote_part(
                analysis,
                process.code,
                material.code,
                int(quantity),
                finish=finish.code if finish else None,
                lead_time=lead_time.code if lead_time else None,
                config=config,
                measured=figures,
                specification=specification,
            )

        try:
            result = priced(measured)
            calibrated, estimate = {}, {"source": "sliced"} if measured else None
            if measured is None and process.technology in precise.SLICED_TECHNOLOGIES:
                instant = {name: getattr(result, name) for name in precise.MEASURED}
                if process.calibration:
                    calibrated = precise.calibrated_figures(instant, process.calibration)
                if calibrated:
                    result = priced({name: fig["value"] for name, fig in calibrated.items()})
                layered = prices_by_layers(process.technology, analysis)
                estimate = self._estimate_range(instant, calibrated, process, layered)
            prints = {}
            if estimate and process.technology in precise.SLICED_TECHNOLOGIES:
                prints = self._odm_print_calibration(process, result.machine, part.company_id)
            if prints:
                given = measured or {name: fig["value"] for name, fig in calibrated.items()}
                result, estimate, prints = self._with_prints(
                    result, estimate, prints, given, priced
                )
            band = with_band and (estimate or {}).get("ranges")
            if band:  # the unit prices at both ends of the range
                estimate["unit_price"] = [
                    priced({name: figure[end] for name, figure in band.items()}).unit_price
                    for end in ("low", "high")
                ]
        except PricingError as error:
            raise UserError(
                self.env._("%(part)s: %(reason)s", part=part.name, reason=error)
            ) from error
        parameters = self._frozen_parameters(config, result)
        parameters["measured"] = measured
        parameters["calibrated"] = calibrated
        parameters["estimate"] = estimate
        if prints:
            parameters["print_calibration"] = prints
        return result, parameters

    @api.model
    def _odm_print_calibration(self, process, machine_type_code, company):  # pylint: disable=unused-argument
        """The calibration from real prints of ``company``'s machines of a machine type:
        ``{"prints": N, "calibrations": {quantity: Calibration.to_dict()}}``, {} for none.
        Machines are known to odm_mrp; odm_machine_link fills this from the factors applied."""
        return {}

    @staticmethod
    def _with_prints(result, estimate, prints, given, priced):
        """The quote's figures corrected by its machine type's calibration from prints
        (``print_calibration.corrected``), priced again on top of the ``given`` figures it was
        priced with. The estimate names the prints, and an instant estimate's range holds both
        spreads. Returns (result, estimate, what the parameters keep: the corrected figures and
        the machine time before, which the plan books since each machine applies its own)."""
        current = {name: getattr(result, name) for name in precise.MEASURED}
        ranges = estimate.get("ranges")
        figures = print_calibration.corrected(current, prints["calibrations"], ranges)
        if not figures:
            return result, estimate, {}
        corrected = priced({**given, **{name: fig["value"] for name, fig in figures.items()}})
        estimate = {**estimate, "prints": prints["prints"]}
        if ranges:
            ranges = {
                **ranges,
                **{
                    name: {**fig, "basis": "prints", "samples": prints["prints"]}
                    for name, fig in figures.items()
                },
            }
            estimate["ranges"] = ranges
        kept = {**prints, "figures": figures, "base_machine_time_s": result.machine_time_s}
        return corrected, estimate, kept

    @staticmethod
    def _estimate_range(instant, calibrated, process, layered):
        """Where an instant FDM or SLA quote's figures come from and the range the slicer's
        should fall in (``precise.estimate_band``); ``quote`` prices both ends of it."""
        bands = process.estimate_band or {}
        return {
            "source": "calibrated" if calibrated else "estimated",
            "coverage": precise.BAND_COVERAGE,
            "ranges": precise.estimate_band(
                instant, calibrated, bands, layered, process.technology
            ),
        }

    @api.model
    def freeze(self, part, result, parameters, sale_line=None, known=None):
        """Stores a priced version of a part (see odm.part.quote).

        ``known`` maps quote fields (process_id, material_id, finish_id, lead_time_id) to the
        records the caller priced with; they are used when their code is the quote's instead
        of being searched again.
        """
        known = known or {}
        codes = {
            "process_id": ("odm.process", result.process),
            "material_id": ("odm.material", result.material),
            "finish_id": ("odm.finish", result.finish),
            "lead_time_id": ("odm.lead.time.tier", result.lead_time),
        }
        values = {}
        for field, (model, code) in codes.items():
            if not code:
                continue
            record = known.get(field)
            if not record or record.code != code:
                record = self.env[model].search(
                    [("code", "=", code), ("company_id", "in", (part.company_id.id, False))],
                    limit=1,
                )
            values[field] = record.id
        # The engine prices in the currency of the part's company (engine_config).
        currency = part.company_id.currency_id
        return self.env["odm.part.quote"].create(
            {
                **values,
                "part_id": part.id,
                "sale_line_id": sale_line.id if sale_line else False,
                "quantity": result.quantity,
                "currency_id": currency.id,
                "unit_price": result.unit_price,
                "total_price": result.total_price,
                "lead_time_days": result.lead_time_days,
                "fatal": result.fatal,
                "result": result.to_dict(),
                "parameters": parameters,
                "engine_version": ENGINE_VERSION,
            }
        )

    @staticmethod
    def _frozen_parameters(config, result):
        """Everything the price was computed from, as plain JSON."""
        return {
            "currency": config.currency,
            "process": dataclasses.asdict(config.processes[result.process]),
            "material": dataclasses.asdict(config.materials[result.material]),
            "machine": dataclasses.asdict(config.machines[result.machine]),
            "finish": dataclasses.asdict(config.finishes[result.finish]) if result.finish else None,
            "lead_time_tiers": [dataclasses.asdict(t) for t in config.lead_time_tiers.values()],
            "quantity_breaks": [dataclasses.asdict(qb) for qb in config.quantity_breaks],
            "margins": [dataclasses.asdict(margin) for margin in config.margins],
        }
