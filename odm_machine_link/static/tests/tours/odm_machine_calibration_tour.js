import { registry } from "@web/core/registry";

// The calibration dialog: one compact line per machine and quantity, the prints used listed
// once on their own page.
registry.category("web_tour.tours").add("odm_machine_calibration_tour", {
    steps: () => [
        {
            content: "Propose the calibration from the machine's prints",
            trigger: 'button[name="action_odm_propose_calibration"]',
            run: "click",
        },
        {
            content: "The proposals carry no evidence tags",
            trigger: '.modal .o_field_widget[name="line_ids"] .o_data_row:contains("Print time"):not(:has(.o_field_many2many_tags))',
        },
        {
            content: "The range for the next print is a column of its own",
            trigger: '.modal .o_field_widget[name="line_ids"] th:contains("Range for the next print")',
        },
        {
            content: "Open the prints used",
            trigger: '.modal a[role="tab"]:contains("Prints used")',
            run: "click",
        },
        {
            content: "Each print used is one row",
            trigger: '.modal .o_field_widget[name="job_ids"] .o_data_row:contains("odm-tour-calib-3")',
        },
        {
            content: "Close",
            trigger: '.modal .modal-footer button:contains("Close")',
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
