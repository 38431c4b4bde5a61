/** @odoo-module **/
/**
 * Portal: turns every ``.o_odm_viewer[data-payload-url]`` into the part's 3D view. The viewer
 * bundle (and three.js) is fetched only for a viewer that is opened: at once when the element
 * has ``data-autoload`` (the part page), else when its "Show in 3D" button is pressed (cart
 * cards, so a long cart loads no 3D it does not show).
 */
import publicWidget from "@web/legacy/js/public/public_widget";
import { loadBundle } from "@web/core/assets";
import { registry } from "@web/core/registry";

const BUNDLE = "odm_quote.assets_viewer";

publicWidget.registry.OdmPartViewer = publicWidget.Widget.extend({
    selector: ".o_odm_viewer[data-payload-url]",
    events: { "click .o_odm_viewer_open": "_onOpen" },

    start() {
        if (this.el.dataset.autoload) {
            this._open();
        }
        return this._super(...arguments);
    },

    destroy() {
        this._dispose?.();
        this._super(...arguments);
    },

    _onOpen(event) {
        event.preventDefault();
        this._open();
    },

    async _open() {
        if (this._opening) {
            return;
        }
        this._opening = true;
        await loadBundle(BUNDLE);
        const mount = registry.category("odm_quote.viewer").get("mount");
        const target = this.el.querySelector(".o_odm_viewer_body") || this.el;
        target.classList.remove("d-none");
        this.el.querySelector(".o_odm_viewer_open")?.classList.add("d-none");
        this._dispose = await mount(target, this.el.dataset.payloadUrl, {
            layer: this.el.dataset.layer || undefined,
            status: this.el, // what tours and benchmarks read: rendered, layer, flagged counts
        });
    },
});
