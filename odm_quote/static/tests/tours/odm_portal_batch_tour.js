import { registry } from "@web/core/registry";
import { boxStl } from "@odm_quote/../tests/tours/tour_parts";

const GOOD = ["bracket.stl", "spacer.stl", "lid.stl"];
const BAD = "broken.stl";

registry.category("web_tour.tours").add("odm_portal_batch_tour", {
    url: "/odm/quote",
    steps: () => [
        {
            content: "Choose three parts and a file that is no part",
            trigger: ".o_odm_upload_form input[name=files]",
            run() {
                const files = new DataTransfer();
                GOOD.forEach((name, index) =>
                    files.items.add(new File([boxStl(20 + index, 20, 10)], name))
                );
                files.items.add(new File(["solid broken\nendsolid broken\n"], BAD));
                this.anchor.files = files.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "Get the instant prices",
            trigger: ".o_odm_upload_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The bad file is listed with its reason next to its name",
            trigger: `.o_odm_refused li[data-file-name="${BAD}"]:contains(${BAD}) .o_odm_refusal_reason`,
            run() {
                if (!this.anchor.textContent.trim()) {
                    throw new Error("the refused file has no reason");
                }
            },
        },
        ...GOOD.map((name) => ({
            content: `${name} is priced in the cart`,
            trigger: `.o_odm_cart .o_odm_priced_part[data-part-name="${name}"] .o_odm_unit_price`,
        })),
        {
            content: "Only the bad file is refused",
            trigger: ".o_odm_refused",
            run() {
                const listed = [...this.anchor.querySelectorAll("[data-file-name]")].map(
                    (item) => item.dataset.fileName
                );
                if (`${listed}` !== BAD) {
                    throw new Error(`refused: ${listed}`);
                }
            },
        },
    ],
});
