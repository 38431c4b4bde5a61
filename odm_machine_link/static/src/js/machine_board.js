import { onMounted, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { kanbanView } from "@web/views/kanban/kanban_view";

// Machines report every few seconds; the board reloads as often while the tab is visible.
const REFRESH_MS = 10000;

export class MachineBoardController extends KanbanController {
    setup() {
        super.setup();
        onMounted(() => {
            this.refreshTimer = setInterval(() => {
                if (!document.hidden) {
                    this.model.load();
                }
            }, REFRESH_MS);
        });
        onWillUnmount(() => clearInterval(this.refreshTimer));
    }
}

registry.category("views").add("odm_machine_board", {
    ...kanbanView,
    Controller: MachineBoardController,
});
