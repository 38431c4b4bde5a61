import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("odm_machine_board_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the On-Demand Manufacturing app",
            trigger: '.o_app[data-menu-xmlid="odm_quote.menu_odm_root"]',
            run: "click",
        },
        {
            content: "Open Shop Floor",
            trigger: '[data-menu-xmlid="odm_machine_link.menu_odm_shop_floor"]',
            run: "click",
        },
        {
            content: "Dispatch the ready work order now",
            trigger: '[data-menu-xmlid="odm_machine_link.menu_odm_shop_floor_dispatch"]',
            run: "click",
        },
        {
            content: "It says it dispatched one job",
            trigger: '.o_notification:contains("1 job(s) dispatched")',
        },
        {
            content: "Open Shop Floor",
            trigger: '[data-menu-xmlid="odm_machine_link.menu_odm_shop_floor"]',
            run: "click",
        },
        {
            content: "Open the machine board",
            trigger: '[data-menu-xmlid="odm_machine_link.menu_odm_shop_floor_board"]',
            run: "click",
        },
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
        {
            content: "Open Shop Floor",
            trigger: '[data-menu-xmlid="odm_machine_link.menu_odm_shop_floor"]',
            run: "click",
        },
        {
            content: "Open the operator screen",
            trigger: '[data-menu-xmlid="odm_machine_link.menu_odm_shop_floor_operator"]',
            run: "click",
        },
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
