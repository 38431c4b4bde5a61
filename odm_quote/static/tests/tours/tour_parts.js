// Parts the tours upload, made in the browser rather than stored as files.

const CORNERS = [
    [0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
    [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1],
];
const TRIANGLES = [
    [0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
    [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7],
];

/** A box of ``x`` × ``y`` × ``z`` mm as an ASCII STL, its triangles wound outwards. */
export function boxStl(x, y, z) {
    const vertex = (corner) => CORNERS[corner].map((unit, axis) => unit * [x, y, z][axis]);
    return [
        "solid box",
        ...TRIANGLES.map((triangle) =>
            [
                "facet normal 0 0 0",
                "outer loop",
                ...triangle.map((corner) => `vertex ${vertex(corner).join(" ")}`),
                "endloop",
                "endfacet",
            ].join("\n")
        ),
        "endsolid box",
        "",
    ].join("\n");
}

/** A tour step that puts ``name`` (an STL made by ``boxStl``) into the upload form. */
export function chooseFile(name, content) {
    return {
        content: `Choose the 3D file ${name}`,
        trigger: ".o_odm_upload_form input[name=files]",
        run() {
            const files = new DataTransfer();
            files.items.add(new File([content], name, { type: "model/stl" }));
            this.anchor.files = files.files;
            this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
        },
    };
}
