import dataclasses
import functools
import hashlib

from odoo import api, models
from odoo.exceptions import UserError

from odm_engine.pricing.params import PricingConfig, QuoteError
from odm_engine.pricing.price_grid import customer_breakdown, quote_grid
from odm_engine.pricing.quote import compare_processes
from odm_engine.service import json_ready


@dataclasses.dataclass(frozen=True)
class ComparisonRequest:
    """A comparison to compute, equal to another when its key is: the stored part (id, last
    write), the pricing configuration (a digest of its repr), the processes and materials
    compared."""

    key: tuple
    analysis: dict = dataclasses.field(compare=False, hash=False)
    config: PricingConfig = dataclasses.field(compare=False, hash=False)


@functools.lru_cache(maxsize=256)
def _stored_part_comparison(request):
    """compare_processes for a stored part, kept for the next page: its break-even searches
    take tens of milliseconds per part, and a cart page shows every part's comparison. The
    result is shared: read it, never change it."""
    *_, processes, materials = request.key
    return compare_processes(
        request.analysis, config=request.config, processes=processes, materials=dict(materials)
    ).to_dict()


class OdmCustomerView(models.AbstractModel):
    """What a buyer sees of a quote, as the company chooses (Settings > What customers see):
    the quantity x lead-time price grid, the breakdown at the company's level and the process
    comparison. One place for the portal, the quote API and the quotation PDF."""

    _name = "odm.customer.view"
    _description = "Quote as Customers See It"

    @api.model
    def for_quote(self, part, result, *, line=None, config=None, amounts=None, measured=None):
        """What the buyer sees beside one priced part: grid, breakdown (and its level), process
        comparison (None when the company hides it), the currencies to show them in, the line
        the grid's cells set (or none: read-only) and the tier ids by code.

        ``result`` is the engine's quote (dict) the buyer sees; with ``line`` (a cart or order
        line) the grid is priced exactly as the line is, else with the quote's own options and
        specification, the slicer's ``measured`` figures it was priced with, and ``amounts``
        (unit price, quantity) -> (unit price, total) for the figures shown.
        Computed from the stored analysis, never from the mesh.
        """
        company = part.company_id or self.env.company
        config = config or self.env["odm.pricing"].sudo().engine_config(company)
        if line:
            grid = line._odm_price_grid(config=config)
        else:
            options = self._options_of(result, company)
            grid = self.price_grid(
                part,
                options["process"],
                options["material"],
                result["quantity"],
                finish=options["finish"],
                lead_time=options["lead_time"],
                config=config,
                amounts=amounts,
                measured=measured,
                specification=result.get("specification"),
            )
        level = company.odm_customer_breakdown or "summary"
        tiers = (
            self.env["odm.lead.time.tier"]
            .sudo()
            .search([("company_id", "in", (company.id, False))])
        )
        return {
            "grid": grid.to_dict(),
            "breakdown_level": level,
            "breakdown": customer_breakdown(result, level),
            "comparison": (
                self.comparison(part, result, config) if company.odm_customer_comparison else None
            ),
            "line": line or self.env["sale.order.line"],
            "currency": line.currency_id if line else company.currency_id,
            "company_currency": company.currency_id,
            "tier_ids": {tier.code: tier.id for tier in tiers},
        }

    @api.model
    def price_grid(
        self,
        part,
        process,
        material,
        quantity,
        *,
        finish=None,
        lead_time=None,
        config=None,
        price_at=None,
        amounts=None,
        measured=None,
        specification=None,
    ):
        """The part's grid (odm_engine PriceGrid). Rows are priced by ``price_at(quantity)``,
        by default odm.pricing.quote with these options: the function that prices the line
        (without the estimate's band, which no cell shows)."""
        company = part.company_id or self.env.company
        pricing = self.env["odm.pricing"].sudo()
        config = config or pricing.engine_config(company)
        price_at = price_at or (
            lambda rows: pricing.quote(
                part,
                process,
                material,
                rows,
                finish=finish,
                lead_time=lead_time,
                config=config,
                measured=measured,
                specification=specification,
                with_band=False,
            )[0]
        )

        def refused_as_cell(rows):
            try:
                return price_at(rows)
            except UserError as error:  # the engine's refusal, worded for the customer
                raise QuoteError(error.args[0]) from error

        return quote_grid(
            part.analysis,
            process.code,
            material.code,
            quantity,
            finish=finish.code if finish else None,
            lead_time=lead_time.code if lead_time else None,
            config=config,
            max_quantity=company.sudo().odm_max_quantity or None,
            price_at=refused_as_cell,
            amounts=amounts,
        )

    @api.model
    def comparison(self, part, result, config):
        """The processes offered to customers priced side by side, with the quantity from which
        each is the cheapest (the chosen process in the quote's material)."""
        catalogue = self.env["odm.request.options"].catalogue(part.company_id)
        offered = [
            code for code in catalogue["processes"].mapped("code") if code in config.processes
        ]
        materials = {result["process"]: result["material"]}
        if isinstance(part.id, int):  # a stored part: its analysis changes only with write_date
            pricing = hashlib.sha256(repr(config).encode()).hexdigest()
            key = (self.env.cr.dbname, part.id, str(part.write_date), pricing)
            comparison = _stored_part_comparison(
                ComparisonRequest(
                    (*key, tuple(offered), tuple(materials.items())), part.analysis, config
                )
            )
        else:
            comparison = compare_processes(
                part.analysis, config=config, processes=offered, materials=materials
            ).to_dict()
        return {
            **comparison,
            "names": {code: config.processes[code].name for code in offered},
        }

    @api.model
    def _options_of(self, result, company):
        """The records a quote was priced with, looked up by their codes in its company."""
        env = self.env(su=True)
        domain = [("company_id", "in", (company.id, False))]
        models_by_key = {
            "process": "odm.process",
            "material": "odm.material",
            "finish": "odm.finish",
            "lead_time": "odm.lead.time.tier",
        }
        return {
            key: env[model].search([*domain, ("code", "=", result[key])], limit=1)
            if result.get(key)
            else env[model]
            for key, model in models_by_key.items()
        }

    @api.model
    def api_fields(self, part, result, *, staff, measured=None):
        """The quote API's keys for what the buyer sees: ``price_grid``, ``breakdown_level``,
        ``customer_breakdown`` and ``process_comparison`` (null when the company hides it);
        ``measured``: the slicer's figures the quote was priced with.
        A caller who is not staff (a customer's API key) gets the customer breakdown as
        ``breakdown`` too, and no ``unit_cost``: cost and margin stay in the company."""
        view = self.for_quote(part, result, measured=measured)
        fields = {
            "price_grid": view["grid"],
            "breakdown_level": view["breakdown_level"],
            "customer_breakdown": view["breakdown"],
            "process_comparison": view["comparison"],
        }
        if not staff:
            fields.update(breakdown=view["breakdown"], unit_cost=None)
        return json_ready(fields)
