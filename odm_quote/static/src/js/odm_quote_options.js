import publicWidget from "@web/legacy/js/public/public_widget";
import { _t } from "@web/core/l10n/translation";

/**
 * Quote options on the portal: the material list holds only the chosen process's materials and
 * the finish list only the finishes offered with the chosen material, each once. The page
 * renders them for the chosen process; this refills them from the process select's
 * data-odm-choices ({process id: {default_material, materials, finishes}}) when the process or
 * material changes. A choice the new process does not offer is cleared with a note, never
 * swapped silently; odm.request.options refuses any other combination on the server.
 */
publicWidget.registry.OdmQuoteOptions = publicWidget.Widget.extend({
    selector: ".o_odm_upload_form, .o_odm_line_form",
    events: {
        "change select[name=process_id]": "_onProcessChange",
        "change select[name=material_id]": "_onMaterialChange",
    },

    _onProcessChange() {
        this._refresh({ materials: true });
    },

    _onMaterialChange() {
        this._refresh({ materials: false });
    },

    _refresh({ materials }) {
        const process = this.el.querySelector("select[name=process_id]");
        const offered = JSON.parse(process.dataset.odmChoices || "{}")[process.value];
        if (!offered) {
            return;
        }
        const materialSelect = this.el.querySelector("select[name=material_id]");
        if (materials) {
            this._fill(materialSelect, offered.materials);
        }
        const material = Number(materialSelect.value) || offered.default_material;
        this._fill(
            this.el.querySelector("select[name=finish_id]"),
            offered.finishes.filter(([, , only]) => !only.length || only.includes(material))
        );
    },

    /** Puts ``entries`` ([id, name]) after the select's first (empty) option. */
    _fill(select, entries) {
        const chosen = select.selectedOptions[0];
        select.replaceChildren(select.options[0], ...entries.map(([id, name]) => new Option(name, id)));
        const kept = chosen?.value && entries.some(([id]) => String(id) === chosen.value);
        select.value = kept ? chosen.value : "";
        let note = select.parentElement.querySelector(".o_odm_option_note");
        if (chosen?.value && !kept) {
            if (!note) {
                note = document.createElement("div");
                note.className = "form-text text-warning o_odm_option_note";
                select.after(note);
            }
            note.textContent = _t("%s is not offered with this choice: please choose again.", chosen.text);
        } else if (note && chosen?.value) {
            note.remove();
        }
    },
});
