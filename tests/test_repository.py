"""Promises the repository itself keeps: manifests, readmes, icons, no Odoo source inside."""

import ast
import re
import subprocess
from pathlib import Path

import pytest

from tools import gen_addon_readme

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("odm_quote", "odm_mrp", "odm_partner_network", "odm_machine_link")
DEPENDENCY_CHAIN = {
    "odm_mrp": "odm_quote",
    "odm_partner_network": "odm_mrp",
    "odm_machine_link": "odm_mrp",
}


def _manifest(addon):
    return ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())


@pytest.mark.parametrize("addon", ADDONS)
def test_manifest(addon):
    manifest = _manifest(addon)
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", manifest["version"]), manifest["version"]
    assert manifest["license"] in {"LGPL-3", "AGPL-3"}
    for path in manifest.get("data", []) + manifest.get("demo", []):
        assert (ROOT / addon / path).is_file(), f"{addon} lists missing file {path}"
    if addon in DEPENDENCY_CHAIN:
        assert DEPENDENCY_CHAIN[addon] in manifest["depends"]


@pytest.mark.parametrize("addon", ADDONS)
def test_icon_and_readme_fragments(addon):
    assert (ROOT / addon / "static/description/icon.png").is_file()
    assert (ROOT / addon / "readme/DESCRIPTION.md").read_text().strip()
    assert (ROOT / addon / "readme/CONTRIBUTORS.md").read_text().strip()


@pytest.mark.parametrize("addon", ADDONS)
def test_readme_rst_is_generated_from_fragments(addon):
    current = (ROOT / addon / "README.rst").read_text()
    assert current == gen_addon_readme.render(addon), (
        f"{addon}/README.rst is stale: run .odm/venv/bin/python -m tools.gen_addon_readme"
    )


def test_no_odoo_source_is_tracked():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    leaked = [path for path in tracked if path.endswith(("odoo-bin", "odoo/models.py"))]
    assert not leaked
