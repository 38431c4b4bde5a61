import { registry } from "@web/core/registry";

// A portal customer opens a cart line's specification, asks for ISO 2768-m and two M4
// threads, saves: the card lists each specification as its own price line, and asks for a
// drawing (threads without one are reviewed first).
const CARD = '.o_odm_priced_part[data-part-name="flange.stl"]';
const FORM = `${CARD} .o_odm_spec_form`;

registry.category("web_tour.tours").add("odm_specification_tour", {
    url: "/odm/quote",
    steps: () => [
        {
            content: "Open the part's specification",
            trigger: `${CARD} .o_odm_spec summary`,
            run: "click",
        },
        {
            content: "Ask for the medium general tolerance",
            trigger: `${FORM} select[name=tolerance_class]`,
            run: "select m",
        },
        {
            content: "Two threads",
            trigger: `${FORM} input[name=thread_count]`,
            run: "edit 2",
        },
        {
            content: "of size M4",
            trigger: `${FORM} select[name=thread_size]`,
            run: "select M4",
        },
        {
            content: "Save: the line is re-priced",
            trigger: `${FORM} .o_odm_spec_save`,
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The threads are a price line of their own",
            trigger: `${CARD} .o_odm_spec_lines tr:contains("2 x M4 threads") .o_odm_spec_amount`,
        },
        {
            content: "So is the tolerance",
            trigger: `${CARD} .o_odm_spec_lines tr:contains("ISO 2768-m") .o_odm_spec_amount`,
        },
        {
            content: "Threads without a drawing are reviewed first",
            trigger: `${CARD} .o_odm_dfm:contains("technical drawing (PDF) is needed")`,
        },
    ],
});
