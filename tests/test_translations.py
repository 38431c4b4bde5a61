"""Each addon ships a current ``i18n/<addon>.pot`` and German and French catalogs that fit it.

The template is exported from the pytest-odoo database with the code path of
``tools/update_translations.py``, so a stale template fails here with the command that
regenerates it. The catalogs must parse, hold no msgid the template does not, keep every
placeholder, tag and QWeb expression of their source, and load into Odoo without a warning.
"""

import logging
import re
from collections import Counter

import polib
import pytest

from tools import update_translations
from tools.update_translations import ADDONS, COMMAND, LANGUAGES

# %s, %d, %(name)s, %.2f, %(n)g, %% -- no space flag, so "20 % des pièces" is plain text.
PRINTF = re.compile(r"%(?:\([\w.]+\))?[-+#0]?\d*(?:\.\d+)?[sdifgerx%]")
BRACES = re.compile(r"\{\{.*?\}\}|\{[\w.]*(?::[^{}]*)?\}")
TAG = re.compile(r"<[^<>]+>")
# A QWeb or HTML attribute value stays as written; only the text between tags is translated.
ATTRIBUTES = re.compile(r"""\s([\w:.@-]+)=("[^"]*"|'[^']*')""")


def _markers(text):
    """What a translation must keep from its source: placeholders and tags with attributes."""
    tags = [
        (tag.split()[0].strip("</>"), tuple(sorted(ATTRIBUTES.findall(tag))))
        for tag in TAG.findall(text)
    ]
    return Counter(PRINTF.findall(text)) + Counter(BRACES.findall(text)) + Counter(tags)


@pytest.fixture(scope="module")
def odoo_cursor(request):
    if not request.config.getoption("--odoo-config", default=None):
        pytest.fail("run through ./odm test, or pass --odoo-config: the template needs a database")
    import odoo  # noqa: PLC0415 (only this fixture needs Odoo)
    from odoo.modules.registry import Registry  # noqa: PLC0415

    with Registry(odoo.tools.config["db_name"]).cursor() as cr:
        yield cr
        cr.rollback()


def _msgids(text):
    return {entry.msgid for entry in polib.pofile(text)} if text else set()


@pytest.mark.parametrize("addon", ADDONS)
def test_template_is_current(odoo_cursor, addon):
    path = update_translations.template_path(addon)
    try:
        exported = update_translations.export_template(odoo_cursor, addon)
    except update_translations.ExportError as error:
        message = f"{addon}: some terms cannot be exported:\n{error}"
        raise pytest.fail.Exception(message, pytrace=False) from None
    committed = path.read_text() if path.exists() else ""
    if update_translations.without_dates(exported) != update_translations.without_dates(committed):
        added = sorted(_msgids(exported) - _msgids(committed))
        gone = sorted(_msgids(committed) - _msgids(exported))
        pytest.fail(
            f"{path.relative_to(update_translations.ROOT)} is stale ({len(added)} msgids new, "
            f"{len(gone)} gone, or their references changed): run {COMMAND}\n"
            f"new: {added[:5]}\ngone: {gone[:5]}",
            pytrace=False,
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_odoo_loads_catalogs_without_warnings(odoo_cursor, language):
    import odoo  # noqa: PLC0415
    from odoo.tools.translate import TranslationImporter  # noqa: PLC0415

    code = f"{language}_{language.upper()}"
    env = odoo.api.Environment(odoo_cursor, odoo.SUPERUSER_ID, {})
    env["res.lang"]._activate_lang(code)
    importer = TranslationImporter(odoo_cursor, verbose=False)
    with update_translations.collected_logs("odoo", logging.WARNING) as warnings:
        for addon in ADDONS:
            importer.load_file(str(update_translations.catalog_path(addon, language)), code)
        importer.save(overwrite=True)
    root_menu = env.ref("odm_quote.menu_odm_root").with_context(lang=code).name
    odoo_cursor.rollback()
    # the registry's caches (active languages) must forget the rolled back activation
    env.invalidate_all(flush=False)
    env.registry.clear_cache()
    assert not warnings
    catalog = polib.pofile(str(update_translations.catalog_path("odm_quote", language)))
    assert root_menu == catalog.find("On-Demand Manufacturing").msgstr


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("addon", ADDONS)
def test_catalog_fits_template(addon, language):
    path = update_translations.catalog_path(addon, language)
    catalog = polib.pofile(str(path))  # raises on a syntax error
    template_ids = {
        entry.msgid for entry in polib.pofile(str(update_translations.template_path(addon)))
    }
    assert not catalog.obsolete_entries(), f"{path}: obsolete entries, run {COMMAND}"
    unknown = [entry.msgid for entry in catalog if entry.msgid not in template_ids]
    assert not unknown, f"{path}: msgids not in the template, run {COMMAND}: {unknown[:5]}"
    assert catalog.metadata.get("Language") == language
    broken = [
        (entry.msgid, entry.msgstr)
        for entry in catalog.translated_entries()
        if _markers(entry.msgid) != _markers(entry.msgstr)
    ]
    assert not broken, f"{path}: placeholders or tags differ from the source: {broken[:3]}"


def test_markers_catch_a_lost_placeholder_or_tag():
    assert _markers("%(name)s has <b>%s</b> parts") == _markers("<b>%s</b> Teile hat %(name)s")
    assert _markers("%(name)s parts") != _markers("%(nom)s pièces")
    assert _markers("Quantity: %(quantity)g") != _markers("Menge: %(quantity)s")
    assert _markers('<span t-out="o.name"/> parts') != _markers('<span t-out="o.nom"/> pièces')
    assert _markers("{count} parts") != _markers("{anzahl} Teile")
    assert _markers("Shipped 20 %") == _markers("20 % des pièces")
