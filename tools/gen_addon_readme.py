"""Writes each addon's README.rst from its readme/ fragments, as OCA's generator does.

Run ``.odm/venv/bin/python -m tools.gen_addon_readme`` after editing a fragment; the test suite
fails while a README.rst is out of date.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("odm_quote", "odm_mrp", "odm_partner_network", "odm_machine_link")
SECTIONS = (
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("CONTRIBUTORS.md", "Contributors"),
)


def _rst_inline(text):
    """Markdown emphasis and code to reStructuredText."""
    return text.replace("**", "\x00").replace("`", "``").replace("\x00", "**")


def render(addon):
    """README.rst text of one addon."""
    manifest = ast.literal_eval((ROOT / addon / "__manifest__.py").read_text())
    title = manifest["name"]
    lines = ["=" * len(title), title, "=" * len(title), "", manifest["summary"], ""]
    lines += [
        f"Version {manifest['version']}, license {manifest['license']}, "
        f"depends on: {', '.join(manifest['depends'])}.",
        "",
    ]
    for filename, heading in SECTIONS:
        fragment = ROOT / addon / "readme" / filename
        if not fragment.exists():
            continue
        if heading:
            lines += [heading, "=" * len(heading), ""]
        lines += [_rst_inline(line) for line in fragment.read_text().strip().splitlines()]
        lines.append("")
    return "\n".join(lines)


def main():
    for addon in ADDONS:
        (ROOT / addon / "README.rst").write_text(render(addon))
    return 0


if __name__ == "__main__":
    sys.exit(main())
