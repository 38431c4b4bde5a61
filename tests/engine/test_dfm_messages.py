"""DFM findings keep their numbers apart (template + params) so that Odoo formats them for the
reader; the English message stays, made of the same template, with plurals right."""

import numpy as np
import pytest
from test_pricing import box

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.messages import decimals, finding, number, plural, render
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part


def test_a_finding_renders_its_numbers_in_english_and_keeps_them():
    found = finding(
        "tiny_features",
        "warning",
        plural(1, "%(count)s region is thin (%(area)s mm²).", "%(count)s regions are thin."),
        count=number(1),
        area=number(9760.24),
    )
    assert found["message"] == "1 region is thin (9,760 mm²)."
    assert found["params"] == {"count": {"value": 1, "digits": 0}, "area": number(9760.24)}
    assert render(found["template"], found["params"]) == found["message"]
    assert plural(2, "one", "other") == "other"
    assert (decimals(0.8), decimals(1.0), decimals(0.125)) == (1, 0, 3)


def test_geometry_findings_have_templates_and_right_plurals(meshgen):
    block = meshgen.box((20, 20, 10))
    fin = meshgen.box((0.3, 10, 8), (20, 5, 1))
    result = analyse(meshgen.part(np.concatenate([block, fin])), small_feature_mm=0.5).to_dict()
    tiny = next(f for f in result["dfm"] if f["code"] == "tiny_features")
    count = tiny["params"]["count"]["value"]
    assert tiny["message"].startswith(f"{count} region{'' if count == 1 else 's'} ")
    assert "e+" not in tiny["message"] and "mm²" in tiny["message"]
    assert render(tiny["template"], tiny["params"]) == tiny["message"]


@pytest.mark.parametrize(("wall", "code"), [(0.6, "thin_wall"), (0.3, "wall_too_thin")])
def test_process_findings_carry_their_numbers(wall, code):
    geometry = box(min_wall_mm=wall, thin_area_by_threshold_mm2={"0.5": 0.0, "0.8": 12345.6})
    quote = quote_part(geometry, "FDM", config=default_config()).to_dict()
    issue = next(issue for issue in quote["dfm"] if issue["code"] == code)
    assert issue["params"]["wall"] == number(wall, 2)
    assert issue["params"]["process"]
    assert render(issue["template"], issue["params"]) == issue["message"]
    assert "audience" in issue


def test_a_quote_can_be_priced_again_from_its_own_findings():
    """Findings travel through a frozen analysis (dicts) back into DfmIssue unchanged."""
    geometry = box(min_wall_mm=0.6, thin_area_by_threshold_mm2={"0.5": 0.0, "0.8": 150.0})
    first = quote_part(geometry, "FDM", config=default_config()).to_dict()
    again = quote_part({**geometry, "dfm": first["dfm"]}, "FDM", config=default_config())
    assert {issue["message"] for issue in first["dfm"]} <= {
        issue["message"] for issue in again.to_dict()["dfm"]
    }
