import { registry } from "@web/core/registry";

const PRINTING = '.o_odm_tracking_part[data-stage="making"]';

registry.category("web_tour.tours").add("odm_order_tracking_tour", {
    url: "/my/orders",
    steps: () => [
        {
            content: "Open the order in production from the list of orders",
            trigger: ".o_portal_my_doc_table tbody tr:first a:not(.o_odm_track_order)",
            run: "click",
        },
        {
            content: "Track it from the order's page",
            trigger: "#sale_order_sidebar_button a.o_odm_track_order",
            run: "click",
        },
        {
            content: "The part is printing, at the percentage the machine reports",
            trigger: `${PRINTING} .o_odm_tracking_state:contains(Printing 40 %)`,
        },
        {
            content: "with how many parts were printed",
            trigger: `${PRINTING} .o_odm_tracking_quantities:contains(0 of 2 printed)`,
        },
        {
            content: "and the promised date",
            trigger: ".o_odm_tracking_promise:contains(Promised ready by) strong",
        },
        {
            content: "The breadcrumb leads back to the order",
            trigger: ".o_portal_submenu .breadcrumb-item.active:contains(Tracking)",
        },
    ],
});
