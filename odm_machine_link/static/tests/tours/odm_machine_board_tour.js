import { registry } from "@web/core/registry";
import { openShopFloorMenu } from "@odm_machine_link/../tests/tours/tour_steps";

registry.category("web_tour.tours").add("odm_machine_board_tour", {
    url: "/odoo",
    steps: () => [
        ...openShopFloorMenu(
            "odm_machine_link.menu_odm_shop_floor_dispatch",
            "Dispatch the ready work order now"
        ),
        {
            content: "It says it dispatched one job",
            trigger: '.o_notification:contains("1 job(s) dispatched")',
        },
        ...openShopFloorMenu("odm_machine_link.menu_odm_shop_floor_board", "Open the machine board"),
        {
            content: "The idle manual printer got the job",
            trigger: '.o_kanban_record:contains("Board Printer"):contains("odm-wo")',
        },
        {
            content: "The printer waiting for its bed to be cleared offers the confirmation",
            trigger: '.o_kanban_record:contains("Full Printer") button[name="action_confirm_bed_clear"]',
            run: "click",
        },
        {
            content: "Once confirmed, the button is gone",
            trigger: '.o_kanban_record:contains("Full Printer"):not(:has(button[name="action_confirm_bed_clear"]))',
        },
        ...openShopFloorMenu("odm_machine_link.menu_odm_shop_floor_operator", "Open the operator screen"),
        {
            content: "The manual job waits with a big Start button",
            trigger: '.o_kanban_record:contains("Board Printer") button[name="action_start"]',
            run: "click",
        },
        {
            content: "Started, it offers Finish",
            trigger: '.o_kanban_record:contains("Board Printer") button[name="action_finish"]',
        },
    ],
});
