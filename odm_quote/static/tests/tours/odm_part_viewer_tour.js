import { registry } from "@web/core/registry";

const CARD = '.o_odm_priced_part[data-part-name="plate.stl"]';

registry.category("web_tour.tours").add("odm_part_viewer_tour", {
    url: "/odm/quote",
    steps: () => [
        {
            content: "Open the thin plate in 3D",
            trigger: `${CARD} .o_odm_viewer_open`,
            run: "click",
        },
        {
            content: "The part is drawn on a canvas",
            trigger: `${CARD} .o_odm_viewer[data-rendered="1"] .o_odm_viewer_stage canvas`,
            run() {
                if (!(this.anchor.width > 0 && this.anchor.height > 0)) {
                    throw new Error("the viewer's canvas is empty");
                }
            },
        },
        {
            content: "The legend shows the thin walls flagged",
            trigger: `${CARD} .o_odm_viewer[data-layer="wall_thickness"] li[data-layer="wall_thickness"]`,
            run() {
                if (!(Number(this.anchor.dataset.flagged) > 0)) {
                    throw new Error(`no thin-wall face flagged: ${this.anchor.textContent}`);
                }
            },
        },
        {
            content: "Switch to the overhangs",
            trigger: `${CARD} select.o_odm_viewer_layer`,
            run: "select overhang",
        },
        {
            content: "The overhang layer is shown",
            trigger: `${CARD} .o_odm_viewer[data-layer="overhang"]`,
        },
    ],
});
