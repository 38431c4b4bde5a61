// Steps the machine link's tours share.
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/** Opens ``xmlid`` under the app's Shop Floor menu, from wherever the user is. */
export function openShopFloorMenu(xmlid, content) {
    return [
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
            content,
            trigger: `[data-menu-xmlid="${xmlid}"]`,
            run: "click",
        },
    ];
}
