/** @odoo-module **/
/**
 * Part form: ``<widget name="odm_part_viewer"/>`` shows the part in 3D with its findings,
 * loading the viewer bundle (and three.js) only when the widget is displayed.
 */
import { Component, onMounted, onWillUnmount, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { registry } from "@web/core/registry";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

export class OdmPartViewer extends Component {
    static template = "odm_quote.PartViewer";
    static props = { ...standardWidgetProps };

    setup() {
        this.root = useRef("root");
        onMounted(async () => {
            const resId = this.props.record.resId;
            if (!resId) {
                return;
            }
            await loadBundle("odm_quote.assets_viewer");
            const mount = registry.category("odm_quote.viewer").get("mount");
            if (this.root.el) {
                this.dispose = await mount(this.root.el, `/odm_quote/part/${resId}/viewer`);
            }
        });
        onWillUnmount(() => this.dispose?.());
    }
}

registry.category("view_widgets").add("odm_part_viewer", { component: OdmPartViewer });
