"""Regenerates each addon's ``i18n/<addon>.pot`` with Odoo's exporter and merges its catalogs.

    .odm/venv/bin/python -m tools.update_translations --database DB [--skip-update] [ADDON...]

Odoo reads an addon's terms from two places: the code (``_()`` in Python, QWeb in
``static/src``) and the records its data files created in the database (views, menus, actions,
field labels, selections...). So the export needs a database with the addons installed, demo
data included, as ``./odm`` builds them; by default the addons are updated in it first so the
records match the code on disk.

Each ``de.po`` and ``fr.po`` is then merged with the new template the way ``msgmerge`` does it:
translations are kept by msgid, new msgids come in untranslated and obsolete ones are dropped.
Files are written only when more than their header dates changed, so the output is
deterministic and running the tool twice changes nothing. ``tests/test_translations.py`` fails
while a template is stale.
"""

import argparse
import contextlib
import io
import logging
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ("odm_quote", "odm_mrp", "odm_partner_network", "odm_machine_link")
DEFAULT_CONFIG = ROOT / ".odm" / "odoo.conf"
COMMAND = ".odm/venv/bin/python -m tools.update_translations --database DB"
# Languages we ship: file name -> plural rule (as Odoo's own catalogs declare them).
LANGUAGES = {
    "de": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
}
DATE_HEADER = re.compile(r'^"(?:POT-Creation-Date|PO-Revision-Date): .*\\n"\n', re.MULTILINE)


def template_path(addon):
    return ROOT / addon / "i18n" / f"{addon}.pot"


def catalog_path(addon, language):
    return ROOT / addon / "i18n" / f"{language}.po"


def without_dates(text):
    """Catalog text without the header dates, the only part allowed to differ between runs."""
    return DATE_HEADER.sub("", text)


class ExportError(Exception):
    """Odoo could not read some of an addon's terms, so its template would miss them."""


class _Collector(logging.Handler):
    def __init__(self, level):
        super().__init__(level)
        self.messages = []

    def emit(self, record):
        cause = f" ({record.exc_info[1]!r})" if record.exc_info else ""
        self.messages.append(record.getMessage().strip() + cause)


@contextlib.contextmanager
def collected_logs(name, level):
    """The messages logger ``name`` emits at ``level`` or above, whatever the configured level;
    they are collected instead of printed."""
    logger = logging.getLogger(name)
    collector = _Collector(level)
    saved_level, saved_propagate = logger.level, logger.propagate
    logger.addHandler(collector)
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def export_template(cr, addon):
    """The ``.pot`` text of one addon, exactly as ``odoo-bin --i18n-export`` writes it.

    Odoo only logs the files it fails to read (Babel gives up on a whole Python file when a
    ``_()`` call has an f-string argument that names a variable): here that is an error.
    """
    from odoo.tools.translate import trans_export  # noqa: PLC0415 (Odoo only when exporting)

    buffer = io.BytesIO()
    with collected_logs("odoo.tools.translate", logging.ERROR) as errors:
        trans_export(None, [addon], buffer, "po", cr)
    if errors:
        raise ExportError(
            "\n".join(errors)
            + "\n(an f-string inside _() or _lt() stops Babel: build the value before the call)"
        )
    return buffer.getvalue().decode()


def merge_catalog(template, existing, language):
    """A catalog for ``language`` with the template's entries and the translations of ``existing``.

    Entries are matched by msgid (and context); their references and extracted comments come
    from the template, their translation, translator comments and flags from ``existing``.
    """
    translated = {}
    if existing is not None:
        translated = {
            (entry.msgctxt, entry.msgid): entry for entry in existing if not entry.obsolete
        }
    catalog = polib.POFile(wrapwidth=template.wrapwidth)
    catalog.header = template.header
    catalog.metadata = dict(template.metadata)
    if existing is not None:
        for key in ("PO-Revision-Date", "Last-Translator", "Language-Team"):
            if existing.metadata.get(key):
                catalog.metadata[key] = existing.metadata[key]
    catalog.metadata["Language"] = language
    catalog.metadata["Plural-Forms"] = LANGUAGES[language]
    for source in template:
        previous = translated.get((source.msgctxt, source.msgid))
        catalog.append(
            polib.POEntry(
                msgctxt=source.msgctxt,
                msgid=source.msgid,
                msgstr=previous.msgstr if previous else "",
                occurrences=source.occurrences,
                comment=source.comment,
                tcomment=previous.tcomment if previous else "",
                flags=previous.flags if previous else [],
            )
        )
    return catalog


def _unchanged(path, text):
    """Whether ``path`` already says ``text`` apart from its header dates."""
    return path.exists() and without_dates(path.read_text()) == without_dates(text)


def update_addon(cr, addon):
    """Regenerates one addon's template and merges its catalogs; returns the files written."""
    template_text = export_template(cr, addon)
    written = []
    if not _unchanged(template_path(addon), template_text):
        template_path(addon).parent.mkdir(exist_ok=True)
        template_path(addon).write_text(template_text)
        written.append(template_path(addon))
    template = polib.pofile(template_text)
    for language in LANGUAGES:
        path = catalog_path(addon, language)
        existing = polib.pofile(str(path)) if path.exists() else None
        catalog = merge_catalog(template, existing, language)
        if _unchanged(path, str(catalog)):
            continue
        catalog.metadata["PO-Revision-Date"] = datetime.now(timezone.utc).strftime(
            "%Y-%m-%d %H:%M+0000"
        )
        path.write_text(str(catalog))
        written.append(path)
    return written


def _open_registry(config_path, database, update):
    """Odoo's registry of ``database``, after updating the addons in it when ``update``."""
    import odoo  # noqa: PLC0415 (the module docstring must stay readable without Odoo)
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config(
        ["-c", str(config_path), "-d", database, "--log-level=warn"], setup_logging=True
    )
    if update:
        odoo.tools.config["update"] = dict.fromkeys(ADDONS, 1)
        return Registry.new(database, update_module=True)
    return Registry(database)


def _check_database(cr, addons):
    """Refuses a database whose addons would give another template than the test database."""
    cr.execute(
        "SELECT name, state, demo FROM ir_module_module WHERE name = ANY(%s)", [list(addons)]
    )
    found = {name: (state, demo) for name, state, demo in cr.fetchall()}
    for addon in addons:
        state, demo = found.get(addon, (None, None))
        if state != "installed":
            sys.exit(f"{addon} is not installed in this database (state: {state})")
        if not demo:
            sys.exit(
                f"{addon} is installed without demo data: its demo records' terms would be missing"
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--database", "-d", required=True, help="database with the addons installed"
    )
    parser.add_argument("--config", "-c", default=DEFAULT_CONFIG, help="Odoo configuration file")
    parser.add_argument(
        "--skip-update",
        action="store_true",
        help="export from the database as it is (only when it already runs the code on disk)",
    )
    parser.add_argument("addons", nargs="*", metavar="ADDON", help=f"default: {' '.join(ADDONS)}")
    args = parser.parse_args(argv)
    unknown = set(args.addons) - set(ADDONS)
    if unknown:
        parser.error(f"not one of ours: {', '.join(sorted(unknown))}")
    args.addons = args.addons or list(ADDONS)
    registry = _open_registry(args.config, args.database, update=not args.skip_update)
    failed = []
    with registry.cursor() as cr:
        _check_database(cr, args.addons)
        for addon in args.addons:
            try:
                written = update_addon(cr, addon)
            except ExportError as error:
                failed.append(addon)
                print(f"{addon}: NOT updated, some terms could not be read:\n{error}")
                continue
            names = ", ".join(str(path.relative_to(ROOT)) for path in written) or "up to date"
            print(f"{addon}: {names}")
        cr.rollback()
    if failed:
        sys.exit(f"not updated: {', '.join(failed)}")


if __name__ == "__main__":
    main()
