"""The buyer's price grid and customer breakdown (odm_engine.pricing.price_grid)."""

import math
import time

import pytest
import trimesh
from test_pricing import box

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.params import QuoteError
from odm_engine.pricing.price_grid import (
    MAX_ROWS,
    customer_breakdown,
    grid_quantities,
    price_grid,
    quote_grid,
)
from odm_engine.pricing.processes import fdm
from odm_engine.pricing.quote import quote_part
from odm_engine.slicing import layers


@pytest.fixture(scope="module")
def config():
    return default_config()


def test_every_cell_is_the_direct_quote_at_that_quantity_and_tier(config):
    grid = quote_grid(box(), "FDM", "PETG", 20, config=config, lead_time="express")
    assert grid.quantities == (10, 20, 50, 100, 500)  # the quantity breaks and the chosen one
    assert [code for code, _ in grid.tiers] == list(config.lead_time_tiers)
    for cell in grid.cells:
        direct = quote_part(box(), "FDM", "PETG", cell.quantity, config=config, lead_time=cell.tier)
        assert cell.available
        assert cell.unit_price == direct.unit_price
        assert cell.total_price == direct.total_price
        assert cell.days == direct.lead_time_days
    assert [(c.quantity, c.tier) for c in grid.cells if c.chosen] == [(20, "express")]


def test_the_cheapest_cell_per_part_is_marked_once(config):
    grid = quote_grid(box(), "SLS", quantity=3, config=config)
    marked = [cell for cell in grid.cells if cell.cheapest]
    assert len(marked) == 1
    assert marked[0].unit_price == min(cell.unit_price for cell in grid.cells)
    assert grid.to_dict()["cheapest"] == {"quantity": marked[0].quantity, "tier": marked[0].tier}


def test_rows_are_bounded_and_keep_the_chosen_quantity():
    breaks = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000]
    rows = grid_quantities(30, breaks, max_rows=5, max_quantity=600)
    assert len(rows) == 5 and 30 in rows
    assert rows == (10, 20, 30, 50, 100)  # the breaks nearest to 30 by ratio
    assert max(grid_quantities(7, breaks, max_quantity=600)) <= 600
    assert len(grid_quantities(7, breaks)) == MAX_ROWS
    with pytest.raises(QuoteError):
        grid_quantities(0, breaks)


def test_without_quantity_breaks_the_comparison_quantities_are_the_rows(config):
    bare = config.with_overrides({"quantity_breaks": []})
    grid = quote_grid(box(), "FDM", quantity=7, config=bare, max_quantity=1000)
    assert grid.quantities == (1, 7, 10, 100, 1000)


def test_unavailable_cells_say_why_instead_of_inventing_prices(config):
    def price_at(quantity):
        if quantity > 100:
            raise QuoteError("above the largest quantity")
        return quote_part(box(), "FDM", None, quantity, config=config)

    tiers = [("standard", "Standard"), ("overnight", "Overnight")]
    grid = price_grid(price_at, (10, 1000), tiers, currency="EUR")
    overnight = grid.cell(10, "overnight")
    assert not overnight.available and overnight.unit_price is None
    assert overnight.reason == "not offered for this process"
    refused = grid.cell(1000, "standard")
    assert not refused.available and refused.reason == "above the largest quantity"
    assert grid.cheapest == grid.cell(10, "standard")


def test_amounts_turn_engine_figures_into_line_figures(config):
    def rounded(unit_price, quantity):
        unit = round(unit_price, 2)
        return unit, round(unit * quantity, 2)

    grid = quote_grid(box(), "FDM", quantity=3, config=config, amounts=rounded)
    direct = quote_part(box(), "FDM", None, 3, config=config)
    cell = grid.cell(3, direct.lead_time)
    assert cell.unit_price == round(direct.unit_price, 2)
    assert cell.total_price == round(round(direct.unit_price, 2) * 3, 2)


def test_a_custom_tier_order_and_breaks_come_from_the_config(config):
    custom = config.with_overrides(
        {
            "lead_time_tiers": {
                "slow": {
                    "code": "slow",
                    "name": "Slow",
                    "lead_time_factor": 3.0,
                    "price_factor": 0.8,
                },
            },
            "quantity_breaks": [{"min_quantity": 25, "discount_pct": 5.0, "process": "FDM"}],
        }
    )
    grid = quote_grid(box(), "FDM", quantity=2, config=custom)
    assert grid.quantities == (2, 25)
    assert grid.tiers[-1] == ("slow", "Slow")


@pytest.mark.parametrize("process", ["FDM", "CNC", "MOULDING"])
def test_customer_breakdown_adds_up_and_never_shows_the_margin(config, process):
    quote = quote_part(
        box(), process, None, 30, config=config, lead_time="express", finish=None
    ).to_dict()
    for level in ("full", "summary"):
        lines = customer_breakdown(quote, level)
        assert math.isclose(sum(line["amount"] for line in lines), quote["unit_price"])
        assert all(set(line) == {"code", "label", "category", "amount"} for line in lines)
        assert not [line for line in lines if line["category"] == "margin"]
    full = customer_breakdown(quote, "full")
    costs = [item for item in quote["breakdown"] if item["category"] == "material"]
    shown = [line for line in full if line["category"] == "material"]
    assert shown[0]["amount"] > costs[0]["amount"]  # the margin is folded in, not listed
    summary = customer_breakdown(quote, "summary")
    assert len(summary) < len(full)
    assert {line["code"] for line in summary} <= {
        "material",
        "machine",
        "setup",
        "post_processing",
        "options",
        "discount",
        "minimum",
    }
    assert customer_breakdown(quote, "none") == []
    with pytest.raises(ValueError):
        customer_breakdown(quote, "everything")


def test_grid_of_ten_parts_is_fast(config):
    start = time.perf_counter()
    for size in range(10, 20):
        quote_grid(box(size, size, size), "FDM", quantity=size, config=config)
    assert time.perf_counter() - start < 0.5


def test_a_grid_estimates_each_part_once_per_printer_profile(monkeypatch):
    """The layer estimate depends on the part and the profile, not on the quantity: a grid's
    rows reuse it, and another layout (a process's layer height) estimates anew."""
    stl = trimesh.creation.box(extents=(31.0, 17.0, 9.0)).export(file_type="stl")
    analysis = analyse(load_part(stl, "block.stl"), fdm_layers=True).to_dict()
    runs = []
    real = layers.estimate
    monkeypatch.setattr(layers, "estimate", lambda *args: runs.append(args) or real(*args))
    fdm._estimate.cache_clear()
    config = default_config()
    grid = quote_grid(analysis, "FDM", "PLA", 20, config=config)
    assert len(grid.quantities) > 1
    estimated = len(runs)
    assert 1 <= estimated <= len(config.machines)
    first = quote_part(analysis, "FDM", "PLA", 7, config=config)
    assert len(runs) == estimated, "another quantity reuses the estimate"
    finer = config.processes["FDM"].__class__(
        **{**vars(config.processes["FDM"]), "layer_height_mm": 0.1}
    )
    config.processes["FDM"] = finer
    second = quote_part(analysis, "FDM", "PLA", 7, config=config)
    assert len(runs) > estimated
    assert second.print_time_s > first.print_time_s
