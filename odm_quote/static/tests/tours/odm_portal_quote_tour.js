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
            trigger: ".o_odm_upload_form select[name=process_id][data-odm-choices]",
            run() {
                const offered = (select) =>
                    [...select.options].map((option) => option.value).filter(Boolean);
                const form = this.anchor.closest("form");
                const materials = form.querySelector("select[name=material_id]");
                const choices = JSON.parse(this.anchor.dataset.odmChoices);
                const chosen = this.anchor.value;
                const other = Object.keys(choices).find((id) => id !== chosen);
                const expected = (id) => choices[id].materials.map(([material]) => `${material}`);
                if (`${offered(materials)}` !== `${expected(chosen)}`) {
                    throw new Error(`materials ${offered(materials)} offered`);
                }
                // Another process: its own materials, and finishes offered once each.
                this.anchor.value = other;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
                const finishes = offered(form.querySelector("select[name=finish_id]"));
                if (`${offered(materials)}` !== `${expected(other)}`) {
                    throw new Error(`materials ${offered(materials)} offered for ${other}`);
                }
                if (new Set(finishes).size !== finishes.length) {
                    throw new Error(`a finish is offered twice: ${finishes}`);
                }
                this.anchor.value = chosen;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
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
