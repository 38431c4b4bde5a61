// One order from a customer's upload to a finished manufacturing order, in three acts: the
// customer quotes, signs and pays on the portal; the production manager prepares the order and
// dispatches it to the printer; once printed, the manager reads the printer, clears its bed and
// finishes the order. Between the acts the test does what runs in the background in production
// (queue_job's runner sending the job to the printer, the printer printing).
import { registry } from "@web/core/registry";
import { boxStl, chooseFile } from "@odm_quote/../tests/tours/tour_parts";
import { openShopFloorMenu } from "@odm_machine_link/../tests/tours/tour_steps";

const PART_NAME = "spacer.stl";
const PART = `.o_odm_priced_part[data-part-name="${PART_NAME}"]`;
// The manager reads the printer every READ_EVERY_MS, in READINGS steps of up to READING_MS
// each (a tour step lasts at most a minute), before giving up: the G-code runs at the virtual
// printer's accelerated pace.
const READ_EVERY_MS = 2000;
const READING_MS = 50000;
const READINGS = 3;

registry.category("web_tour.tours").add("odm_order_portal_tour", {
    url: "/odm/quote",
    steps: () => [
        chooseFile(PART_NAME, boxStl(16, 16, 4)),
        {
            content: "Ask for 3 parts",
            trigger: ".o_odm_upload_form input[name=quantity]",
            run: "edit 3",
        },
        {
            content: "Get the instant price",
            trigger: ".o_odm_upload_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The part is priced for 3",
            trigger: `${PART} .o_odm_unit_price .oe_currency_value`,
        },
        {
            content: "Request the quotation",
            trigger: ".o_odm_request_quotation",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The quotation asks to be signed and paid",
            trigger: '#sale_order_sidebar_button a[data-bs-target="#modalaccept"]:contains("Sign & Pay")',
            run: "click",
        },
        {
            content: "The signature is drawn from the customer's name",
            trigger: ".modal canvas.o_web_sign_signature",
            async run() {
                const drawn = () => {
                    const context = this.anchor.getContext("2d");
                    const { data } = context.getImageData(0, 0, this.anchor.width, this.anchor.height);
                    return new Uint32Array(data.buffer).some((pixel) => pixel !== 0);
                };
                const deadline = Date.now() + 10000;
                while (!drawn()) {
                    if (Date.now() > deadline) {
                        throw new Error("the signature was never drawn");
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
            },
        },
        {
            content: "Sign",
            trigger: ".modal .o_portal_sign_submit:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Signed, the payment form opens; choose the demo provider",
            trigger: '#modalaccept input[name="o_payment_radio"]',
            run() {
                if (!this.anchor.checked) {
                    this.anchor.click();
                }
            },
        },
        {
            content: "Enter the (test) card",
            trigger: "#modalaccept #customer_input",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: '#modalaccept button[name="o_payment_submit_button"]:enabled',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Paid: the order is confirmed (its production planned on the way)",
            trigger: '#quote_content:contains("Your payment has been successfully processed")',
            timeout: 30000,
        },
        {
            content: "It is a sales order now, of 3 parts",
            trigger: `#quote_content td:contains("${PART_NAME}")`,
        },
    ],
});

/** Starts and finishes the work order ``step`` from the manufacturing order's Work Orders tab. */
function doStep(step) {
    const row = `.o_field_widget[name=workorder_ids] .o_data_row:contains("${step}")`;
    return [
        {
            content: `Start "${step}"`,
            trigger: `${row} button[name="button_start"]`,
            run: "click",
        },
        {
            content: `Finish "${step}"`,
            trigger: `${row} button[name="button_finish"]`,
            run: "click",
        },
        {
            content: `"${step}" is done`,
            trigger: `${row}:not(:has(button[name="button_finish"]))`,
        },
    ];
}

const PRODUCTION_URL_KEY = "odm_order_to_machine_production_url";

/** The tours below start on the manufacturing order's form and come back to it by its URL. */
const rememberProduction = {
    content: "The manufacturing order of the paid order makes 3 parts",
    trigger: ".o_form_view .o_field_widget[name=product_qty]",
    run() {
        const input = this.anchor.querySelector("input");
        const quantity = parseFloat(input ? input.value : this.anchor.textContent);
        if (quantity !== 3) {
            throw new Error(`the manufacturing order makes ${quantity} parts, not 3`);
        }
        sessionStorage.setItem(PRODUCTION_URL_KEY, window.location.href);
    },
};

/** Steps pressing the printer form's "Read status" until it offers to clear the bed. */
function readPrinterUntilFinished() {
    const finished = () =>
        document.querySelector('.o_form_view button[name="action_confirm_bed_clear"]');
    return Array.from({ length: READINGS }, (_, index) => ({
        content: `Read the printer until the print is finished (${index + 1}/${READINGS})`,
        trigger: '.o_form_view button[name="action_poll_now"]',
        timeout: READING_MS + 5000,
        async run() {
            const deadline = Date.now() + READING_MS;
            while (!finished() && Date.now() < deadline) {
                document.querySelector('.o_form_view button[name="action_poll_now"]').click();
                await new Promise((resolve) => setTimeout(resolve, READ_EVERY_MS));
            }
        },
    }));
}

registry.category("web_tour.tours").add("odm_order_dispatch_tour", {
    steps: () => [
        rememberProduction,
        {
            content: "Open its work orders",
            trigger: '.o_notebook a[name="operations"]',
            run: "click",
        },
        ...doStep("Prepare and slice"),
        ...openShopFloorMenu(
            "odm_machine_link.menu_odm_shop_floor_dispatch",
            "Dispatch the ready print now"
        ),
        {
            content: "One job goes out",
            trigger: ".o_notification",
            run() {
                if (!this.anchor.textContent.includes("1 job(s) dispatched")) {
                    throw new Error(`dispatch said: ${this.anchor.textContent}`);
                }
            },
        },
        ...openShopFloorMenu("odm_machine_link.menu_odm_shop_floor_board", "Open the machine board"),
        {
            content: "The virtual printer shows the order's 3 parts",
            trigger: `.o_kanban_record:contains("Virtual Printer"):contains("3 x"):contains("${PART_NAME}")`,
        },
    ],
});

registry.category("web_tour.tours").add("odm_order_finish_tour", {
    steps: () => [
        rememberProduction,
        ...openShopFloorMenu("odm_machine_link.menu_odm_shop_floor_board", "Open the machine board"),
        {
            content: "Open the virtual printer",
            trigger: '.o_kanban_record:contains("Virtual Printer") .fw-bold',
            run: "click",
        },
        ...readPrinterUntilFinished(),
        {
            content: "The bed holds 3 good parts: clear it",
            trigger: '.o_form_view button[name="action_confirm_bed_clear"]',
            run: "click",
        },
        {
            content: "The printer is free again",
            trigger: '.o_form_view:not(:has(button[name="action_confirm_bed_clear"]))',
        },
        {
            content: "Go back to the manufacturing order",
            trigger: ".o_form_view",
            run() {
                window.location.href = sessionStorage.getItem(PRODUCTION_URL_KEY);
            },
            expectUnloadPage: true,
        },
        {
            content: "Open its work orders",
            trigger: '.o_notebook a[name="operations"]',
            run: "click",
        },
        {
            content: "The print is done for the 3 parts",
            trigger: '.o_field_widget[name=workorder_ids] .o_data_row:contains("Print"):not(:has(button[name="button_start"]))',
        },
        ...doStep("Remove supports"),
        ...doStep("Inspect"),
        ...doStep("Pack"),
        {
            content: "Produce all",
            trigger: '.o_form_view button[name="button_mark_done"]:visible',
            run: "click",
        },
        {
            content: "The manufacturing order is done",
            trigger: '.o_form_view .o_statusbar_status button.o_arrow_button_current:contains("Done")',
        },
    ],
});
