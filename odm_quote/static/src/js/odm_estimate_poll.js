import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";

// A slice takes seconds to minutes; polling stops after this long (the page says so).
const POLL_MS = 4000;
const GIVE_UP_MS = 15 * 60 * 1000;

/**
 * A part line being sliced in the background shows "estimated ±x %"; this asks the server
 * every few seconds whether the slice landed and reloads the page once it did, so the customer
 * sees the sliced price without doing anything.
 */
publicWidget.registry.OdmEstimatePoll = publicWidget.Widget.extend({
    selector: ".o_odm_slicing[data-line-id]",

    start() {
        this._started = Date.now();
        this._timer = setTimeout(() => this._poll(), POLL_MS);
        return this._super(...arguments);
    },

    destroy() {
        clearTimeout(this._timer);
        this._super(...arguments);
    },

    async _poll() {
        let status;
        try {
            status = await rpc(`/odm/quote/line/${this.el.dataset.lineId}/estimate`, {});
        } catch {
            return; // logged out or the line is gone: the page stays as it is
        }
        if (status.state !== "queued") {
            window.location.reload();
            return;
        }
        if (Date.now() - this._started < GIVE_UP_MS) {
            this._timer = setTimeout(() => this._poll(), POLL_MS);
        }
    },
});
