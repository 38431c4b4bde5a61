import { registry } from "@web/core/registry";

/** Whether two client rectangles share some area. */
function overlap(first, second) {
    return (
        first.left < second.right - 1 &&
        second.left < first.right - 1 &&
        first.top < second.bottom - 1 &&
        second.top < first.bottom - 1
    );
}

/** The first item of a timeline row drawn over another one, in words; "" when none is. */
function drawnOverAnother() {
    for (const group of document.querySelectorAll(".vis-foreground .vis-group")) {
        const items = [...group.querySelectorAll(".vis-item")].map((item) => [
            item.textContent.trim(),
            item.getBoundingClientRect(),
        ]);
        for (const [index, [name, box]] of items.entries()) {
            for (const [other, otherBox] of items.slice(index + 1)) {
                if (overlap(box, otherBox)) {
                    return `"${name}" is drawn over "${other}"`;
                }
            }
        }
    }
    return "";
}

registry.category("web_tour.tours").add("odm_plan_timeline_tour", {
    steps: () => [
        {
            content: "Show the production plan as a timeline",
            trigger: ".o_switch_view.o_timeline",
            run: "click",
        },
        {
            content: "Every short operation is drawn on its own, none over another",
            trigger: ".vis-foreground .vis-group .vis-item:contains(Inspect)",
            async run() {
                // vis-timeline lays the items out again once their content is measured.
                const deadline = Date.now() + 5000;
                let found = drawnOverAnother();
                while (found && Date.now() < deadline) {
                    await new Promise((resolve) => setTimeout(resolve, 200));
                    found = drawnOverAnother();
                }
                if (found) {
                    throw new Error(found);
                }
            },
        },
    ],
});
