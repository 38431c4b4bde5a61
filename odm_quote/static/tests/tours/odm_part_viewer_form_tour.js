import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("odm_part_viewer_form_tour", {
    steps: () => [
        {
            content: "Open the part's 3D view",
            trigger: ".o_notebook .nav-link:contains(3D view)",
            run: "click",
        },
        {
            content: "The part is drawn with its thin walls flagged",
            trigger: '.o_odm_part_viewer[data-rendered="1"] li[data-layer="wall_thickness"]',
            run() {
                if (!(Number(this.anchor.dataset.flagged) > 0)) {
                    throw new Error(`no thin-wall face flagged: ${this.anchor.textContent}`);
                }
                if (!this.anchor.closest(".o_odm_part_viewer").querySelector("canvas")) {
                    throw new Error("no canvas");
                }
            },
        },
    ],
});
