import publicWidget from "@web/legacy/js/public/public_widget";

/**
 * Quote options on the portal: the material and finish lists show only what the chosen process
 * offers (their <optgroup data-odm-process>), so a customer cannot pick a combination the shop
 * refuses (odm.request.options checks it again on the server).
 */
publicWidget.registry.OdmQuoteOptions = publicWidget.Widget.extend({
    selector: ".o_odm_upload_form, .o_odm_line_form",
    events: { "change select[name=process_id]": "_onProcessChange" },

    start() {
        this._showOffered();
        return this._super(...arguments);
    },

    _onProcessChange() {
        this._showOffered();
    },

    _showOffered() {
        const process = this.el.querySelector("select[name=process_id]")?.value;
        for (const select of this.el.querySelectorAll("select[name=material_id], select[name=finish_id]")) {
            for (const group of select.querySelectorAll("optgroup[data-odm-process]")) {
                const offered = group.dataset.odmProcess === process;
                group.hidden = !offered;
                group.disabled = !offered;
            }
            if (select.selectedOptions[0]?.parentElement.disabled) {
                select.value = "";
            }
        }
    },
});
