import { registry } from "@web/core/registry";
import { boxStl, chooseFile } from "@odm_quote/../tests/tours/tour_parts";

const ORDER_KEY = "odm_portal_quote_tour_order";
const CUBE = '.o_odm_priced_part[data-part-name="cube.stl"]';

registry.category("web_tour.tours").add("odm_portal_quote_tour", {
    url: "/odm/quote",
    steps: () => [
        chooseFile("cube.stl", boxStl(20, 20, 20)),
        {
            content: "Only the materials of the chosen process are offered",
            trigger: ".o_odm_upload_form select[name=material_id] optgroup[hidden]:not(:visible)",
            run() {
                const form = this.anchor.closest("form");
                const process = form.querySelector("select[name=process_id]").value;
                const shown = [...form.querySelectorAll("select[name=material_id] optgroup")]
                    .filter((group) => !group.hidden)
                    .map((group) => group.dataset.odmProcess);
                if (shown.length !== 1 || shown[0] !== process) {
                    throw new Error(`materials of processes ${shown} shown for process ${process}`);
                }
            },
        },
        {
            content: "Ask for 5 parts",
            trigger: ".o_odm_upload_form input[name=quantity]",
            run: "edit 5",
        },
        {
            content: "Get the instant price",
            trigger: ".o_odm_upload_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The cube is in the cart with its size",
            trigger: `${CUBE} .o_odm_dimensions:contains("20.0 × 20.0 × 20.0 mm")`,
        },
        {
            content: "It has a price",
            trigger: `${CUBE} .o_odm_unit_price .oe_currency_value`,
            run() {
                const price = parseFloat(this.anchor.textContent.replace(/[^\d.]/g, ""));
                if (!(price > 0)) {
                    throw new Error(`expected a unit price, got "${this.anchor.textContent}"`);
                }
            },
        },
        {
            content: "Its delivery options are priced",
            trigger: `${CUBE} .o_odm_lead_times tbody tr:last-child .oe_currency_value`,
        },
        {
            content: "Remember the cart's reference",
            trigger: ".o_odm_request_form[data-order-name]",
            run() {
                sessionStorage.setItem(ORDER_KEY, this.anchor.dataset.orderName);
            },
        },
        {
            content: "Request the quotation",
            trigger: ".o_odm_request_quotation",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The quotation opens; go to the list of quotations",
            trigger: '.o_portal_submenu a[href^="/my/quotes"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The requested quotation is under My quotations",
            trigger: '.o_portal_my_doc_table a[href^="/my/orders/"]',
            run() {
                const expected = sessionStorage.getItem(ORDER_KEY);
                const listed = [...document.querySelectorAll(".o_portal_my_doc_table a")].map(
                    (link) => link.textContent.trim()
                );
                if (!expected || !listed.includes(expected)) {
                    throw new Error(`${expected} is not among the quotations: ${listed}`);
                }
                sessionStorage.removeItem(ORDER_KEY);
            },
        },
    ],
});
