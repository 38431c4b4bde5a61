import { registry } from "@web/core/registry";

// A portal customer with a part in the cart chooses another quantity and delivery in the
// part's price grid: the line takes that cell's price per part, total, quantity and delivery.
const CARD = '.o_odm_priced_part[data-part-name="housing.stl"]';
const CELL = `${CARD} .o_odm_price_grid tr[data-quantity="100"] td[data-tier="express"]`;
const CHOSEN_KEY = "odm_price_grid_tour_cell";

const text = (element) => element.textContent.replace(/\s+/g, " ").trim();

registry.category("web_tour.tours").add("odm_price_grid_tour", {
    url: "/odm/quote",
    steps: () => [
        {
            content: "The cheapest price per part is marked",
            trigger: `${CARD} .o_odm_grid_cheapest`,
        },
        {
            content: "Choose 100 parts in express delivery",
            trigger: `${CELL} .o_odm_grid_button`,
            run() {
                const cell = this.anchor.closest("td");
                sessionStorage.setItem(
                    CHOSEN_KEY,
                    JSON.stringify({
                        unit: text(cell.querySelector(".o_odm_grid_unit")),
                        total: text(cell.querySelector(".o_odm_grid_total")),
                    })
                );
                this.anchor.click();
            },
            expectUnloadPage: true,
        },
        {
            content: "The chosen cell is now the line's",
            trigger: `${CELL}.o_odm_grid_chosen`,
        },
        {
            content: "The line carries the cell's quantity, delivery, price and total",
            trigger: `${CARD} .o_odm_unit_price`,
            run() {
                const chosen = JSON.parse(sessionStorage.getItem(CHOSEN_KEY));
                const card = this.anchor.closest(".o_odm_priced_part");
                const quantity = card.querySelector(".o_odm_line_form input[name=quantity]").value;
                const tier = card.querySelector(".o_odm_line_form select[name=lead_time_id]");
                const shown = {
                    unit: text(this.anchor),
                    total: text(card.querySelector(".o_odm_total")),
                    quantity,
                    delivery: tier.options[tier.selectedIndex].text.trim(),
                };
                const expected = { ...chosen, quantity: "100", delivery: "Express" };
                if (JSON.stringify(shown) !== JSON.stringify(expected)) {
                    throw new Error(
                        `line shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`
                    );
                }
            },
        },
    ],
});
