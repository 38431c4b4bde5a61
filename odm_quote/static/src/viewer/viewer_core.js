/** @odoo-module **/
/**
 * The part in 3D with its manufacturability findings: one function, ``mountPartViewer``, shared
 * by the portal (publicWidget in viewer_loader.js) and the part form (part_viewer_widget.js).
 *
 * It lives in the lazily loaded bundle ``odm_quote.assets_viewer``; three.js (the ES module
 * build vendored in odm_quote/static/lib/three) is imported natively on first use, so pages
 * without a viewer load none of it. The payload format is documented in
 * odm_engine/mesh/viewer_export.py. Rendering is on demand (after a camera move, a layer or a
 * section change), not in a loop.
 */
import { registry } from "@web/core/registry";
import { _t } from "@web/core/l10n/translation";

const THREE_URL = "/odm_quote/static/lib/three/three.module.js";
const CONTROLS_URL = "/odm_quote/static/lib/three/OrbitControls.js";
const MAGIC = "ODMV";
const ARRAY_TYPES = { float32: Float32Array, uint32: Uint32Array, uint16: Uint16Array, uint8: Uint8Array };

const NEUTRAL = [176, 186, 197];
const UNKNOWN = [214, 214, 214];
const BAD = [220, 53, 69];
const WARN = [253, 126, 20];
const GOOD = [25, 135, 84];
const OTHER = [111, 66, 193];

/** (header, arrays by name) of a payload; throws on anything else. */
export function parsePayload(buffer) {
    const bytes = new Uint8Array(buffer);
    if (String.fromCharCode(...bytes.slice(0, 4)) !== MAGIC) {
        throw new Error("not an ODM viewer payload");
    }
    const view = new DataView(buffer);
    const length = view.getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
    const base = 8 + length;
    const arrays = {};
    for (const entry of header.arrays) {
        const Type = ARRAY_TYPES[entry.dtype];
        arrays[entry.name] = new Type(buffer, base + entry.offset, entry.bytes / Type.BYTES_PER_ELEMENT);
    }
    return { header, arrays };
}

/** A limit as people read it: at most two decimals, in the browser's locale. */
function number(value) {
    return Number(value.toFixed(2)).toLocaleString();
}

function mix(a, b, t) {
    return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

/** The finding layers: per face colour, what counts as flagged, and the legend's words. */
export function findingLayers(header) {
    const limits = header.thresholds;
    const thin = limits.thin_wall_mm;
    const thickness = (name, label) => ({
        name,
        label,
        channels: [name],
        legend: _t(
            "red: below %(limit)s mm; orange to green: %(limit)s to %(good)s mm; green: up to %(thick)s mm; blue-grey: thicker; light grey: not measured",
            { limit: number(thin), good: number(2 * thin), thick: number(3 * thin) }
        ),
        colour: (arrays, face) => {
            const value = arrays[name][face];
            if (Number.isNaN(value)) {
                return UNKNOWN;
            }
            if (value < thin) {
                return BAD;
            }
            return value < 2 * thin ? mix(WARN, GOOD, (value - thin) / thin) : value < 3 * thin ? GOOD : NEUTRAL;
        },
        flagged: (arrays, face) => arrays[name][face] < thin,
    });
    const flag = (name, label, legend) => ({
        name,
        label,
        channels: [name],
        legend,
        colour: (arrays, face) => (arrays[name][face] ? BAD : NEUTRAL),
        flagged: (arrays, face) => Boolean(arrays[name][face]),
    });
    const ratio = limits.deep_pocket_ratio;
    return [
        thickness("wall_thickness", _t("Wall thickness")),
        thickness("gap_width", _t("Gaps and slots")),
        flag(
            "overhang",
            _t("Overhangs needing support"),
            _t("red: leaning more than %(angle)s° from vertical (FDM, SLA)", {
                angle: number(limits.overhang_angle_deg),
            })
        ),
        {
            name: "cnc",
            label: _t("CNC: inner corners and deep pockets"),
            channels: ["cnc_sharp_corner", "cnc_pocket_ratio", "cnc_unreachable"],
            legend: _t(
                "red: sharp inner corner (under %(angle)s°), orange: pocket deeper than %(ratio)s × its width, purple: out of tool reach",
                { angle: Math.round(limits.sharp_edge_deg), ratio: number(ratio) }
            ),
            colour: (arrays, face) =>
                arrays.cnc_sharp_corner[face]
                    ? BAD
                    : arrays.cnc_pocket_ratio[face] > ratio
                      ? WARN
                      : arrays.cnc_unreachable[face]
                        ? OTHER
                        : NEUTRAL,
            flagged: (arrays, face) =>
                Boolean(arrays.cnc_sharp_corner[face]) ||
                arrays.cnc_pocket_ratio[face] > ratio ||
                Boolean(arrays.cnc_unreachable[face]),
        },
        flag("undercut", _t("Undercuts (moulding)"), _t("red: not released along the best pull direction")),
    ];
}

/** Per face counts of flagged faces, by layer name. */
export function flaggedCounts(header, arrays) {
    const counts = {};
    for (const layer of findingLayers(header)) {
        let count = 0;
        for (let face = 0; face < header.triangles; face++) {
            count += layer.flagged(arrays, face) ? 1 : 0;
        }
        counts[layer.name] = count;
    }
    return counts;
}

function webglAvailable() {
    try {
        const canvas = document.createElement("canvas");
        return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
    } catch {
        return false;
    }
}

function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
        node.className = className;
    }
    if (text !== undefined) {
        node.textContent = text;
    }
    return node;
}

/**
 * Draw the part of ``url`` in ``container``; returns a function that frees it.
 * ``status.dataset`` (default: the container's) afterwards: ``rendered`` ("1" once drawn, "text" for the text fallback,
 * "error"), ``layer`` (the layer shown) and per layer ``flagged<Name>`` counts.
 */
export async function mountPartViewer(container, url, { layer = "wall_thickness", status } = {}) {
    const state = (status || container).dataset;
    container.classList.add("o_odm_viewer_ready");
    container.replaceChildren(element("div", "o_odm_viewer_status text-muted small", _t("Loading the 3D view…")));
    let payload;
    try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) {
            throw new Error((await response.text()).slice(0, 300) || response.statusText);
        }
        payload = parsePayload(await response.arrayBuffer());
    } catch (error) {
        state.rendered = "error";
        container.replaceChildren(
            element("div", "alert alert-warning small mb-0", _t("The 3D view is not available: %s", error.message))
        );
        return () => {};
    }
    const { header, arrays } = payload;
    const layers = findingLayers(header);
    const counts = flaggedCounts(header, arrays);
    for (const [name, count] of Object.entries(counts)) {
        state[`flagged${name.replace(/(^|_)(\w)/g, (m, s, c) => c.toUpperCase())}`] = count;
    }
    const legend = buildLegend(header, layers, counts, layer);
    if (!webglAvailable()) {
        legend.show(layer);
        legend.onChange((name) => legend.show(name));
        state.rendered = "text";
        container.replaceChildren(
            element("p", "text-muted small", _t("Your browser cannot show 3D (WebGL is off); the findings:")),
            legend.root
        );
        return () => {};
    }
    const [THREE, { OrbitControls }] = await Promise.all([import(THREE_URL), import(CONTROLS_URL)]);
    const scene = buildScene(THREE, header, arrays);
    const stage = element("div", "o_odm_viewer_stage position-relative");
    const section = buildSectionSlider(header);
    container.replaceChildren(stage, section.root, legend.root);

    const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    renderer.localClippingEnabled = true;
    renderer.setClearColor(0xf8f9fa);
    renderer.domElement.setAttribute("role", "img");
    renderer.domElement.setAttribute("aria-label", _t("The part in 3D with its manufacturability findings"));
    stage.appendChild(renderer.domElement);
    const camera = new THREE.PerspectiveCamera(35, 1, 0.1, 10 * scene.radius + 1000);
    camera.up.set(0, 0, 1);
    const light = new THREE.DirectionalLight(0xffffff, 2.2);
    camera.add(light);
    scene.root.add(camera);
    const controls = new OrbitControls(camera, renderer.domElement);
    controls.target.copy(scene.centre);
    camera.position.copy(scene.centre).add(new THREE.Vector3(1.6, -2.2, 1.3).multiplyScalar(scene.radius));
    controls.update();

    const render = () => renderer.render(scene.root, camera);
    const resize = () => {
        const width = stage.clientWidth || 320;
        const height = Math.min(Math.max(240, Math.round(width * 0.6)), 520);
        renderer.setSize(width, height);
        camera.aspect = width / height;
        camera.updateProjectionMatrix();
        render();
    };
    const paint = (name) => {
        const chosen = layers.find((each) => each.name === name) || layers[0];
        scene.paint(chosen);
        state.layer = chosen.name;
        legend.show(chosen.name);
        render();
    };
    controls.addEventListener("change", render);
    legend.onChange(paint);
    section.onChange((share) => {
        scene.clip(share);
        render();
    });
    const observer = new ResizeObserver(resize);
    observer.observe(stage);
    paint(layer);
    resize();
    state.rendered = "1";
    // Time to first render, for docs/benchmarks/viewer.md (bench/bench_viewer.py).
    performance.mark("odm-viewer-rendered");
    return () => {
        observer.disconnect();
        controls.dispose();
        scene.dispose();
        renderer.dispose();
    };
}

function buildScene(THREE, header, arrays) {
    const root = new THREE.Scene();
    root.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.4));
    const faces = header.triangles;
    const positions = new Float32Array(faces * 9);
    const { indices, positions: corners } = arrays;
    for (let face = 0; face < faces; face++) {
        for (let k = 0; k < 3; k++) {
            const vertex = indices[face * 3 + k] * 3;
            positions.set(corners.subarray(vertex, vertex + 3), face * 9 + k * 3);
        }
    }
    const colours = new Uint8Array(faces * 9);
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(positions, 3));
    geometry.setAttribute("color", new THREE.BufferAttribute(colours, 3, true));
    geometry.computeVertexNormals();
    const plane = new THREE.Plane(new THREE.Vector3(0, 0, -1), 1e9);
    const material = new THREE.MeshStandardMaterial({
        vertexColors: true,
        side: THREE.DoubleSide,
        roughness: 0.75,
        metalness: 0.05,
        clippingPlanes: [plane],
    });
    root.add(new THREE.Mesh(geometry, material));

    const [low, high] = header.bbox_mm.map((corner) => new THREE.Vector3(...corner));
    const volume = header.build_volume_mm;
    const disposables = [geometry, material];
    if (volume) {
        const box = new THREE.BoxGeometry(...volume);
        const edges = new THREE.EdgesGeometry(box);
        const lines = new THREE.LineSegments(edges, new THREE.LineBasicMaterial({ color: 0x0d6efd }));
        lines.position.set(0, 0, volume[2] / 2);
        lines.name = "build_volume";
        root.add(lines);
        disposables.push(box, edges, lines.material);
    }
    const size = high.clone().sub(low);
    const plate = Math.max(size.x, size.y) * 1.4;
    const grid = new THREE.GridHelper(plate, 10, 0xadb5bd, 0xdee2e6);
    grid.rotation.x = Math.PI / 2;
    root.add(grid);
    disposables.push(grid.geometry, grid.material);
    return {
        root,
        centre: low.clone().add(high).multiplyScalar(0.5),
        radius: Math.max(size.length() / 2, 1),
        paint(layer) {
            for (let face = 0; face < faces; face++) {
                const rgb = layer.colour(arrays, face);
                for (let k = 0; k < 3; k++) {
                    colours.set(rgb, face * 9 + k * 3);
                }
            }
            geometry.attributes.color.needsUpdate = true;
        },
        /** Keep the part below ``share`` (0..1) of its height: a horizontal section. */
        clip(share) {
            plane.constant = share >= 1 ? 1e9 : low.z + share * size.z;
        },
        dispose() {
            disposables.forEach((each) => each.dispose());
        },
    };
}

function buildSectionSlider(header) {
    const root = element("label", "d-flex align-items-center gap-2 small mt-2 o_odm_viewer_section");
    root.append(element("span", "text-nowrap", _t("Section height")));
    const input = element("input", "form-range");
    Object.assign(input, { type: "range", min: 0, max: 100, value: 100 });
    const height = header.bbox_mm[1][2] - header.bbox_mm[0][2];
    const value = element("span", "text-nowrap text-muted", `${height.toFixed(1)} mm`);
    root.append(input, value);
    return {
        root,
        onChange(callback) {
            input.addEventListener("input", () => {
                const share = Number(input.value) / 100;
                value.textContent = `${(share * height).toFixed(1)} mm`;
                callback(share);
            });
        },
    };
}

function buildLegend(header, layers, counts, selected) {
    const root = element("div", "o_odm_viewer_legend small mt-2");
    const select = element("select", "form-select form-select-sm mb-1 o_odm_viewer_layer");
    const note = element("div", "text-muted o_odm_viewer_note");
    const list = element("ul", "list-unstyled mb-0 mt-1");
    for (const layer of layers) {
        const option = element("option", "", `${layer.label} (${counts[layer.name].toLocaleString()})`);
        option.value = layer.name;
        option.selected = layer.name === selected;
        select.append(option);
        const item = element("li", "o_odm_viewer_count");
        item.dataset.layer = layer.name;
        item.dataset.flagged = counts[layer.name];
        item.textContent = _t("%(layer)s: %(count)s of %(total)s faces flagged", {
            layer: layer.label,
            count: counts[layer.name].toLocaleString(),
            total: header.triangles.toLocaleString(),
        });
        list.append(item);
    }
    const scope = element(
        "div",
        "text-muted",
        _t("Limits of %(process)s, in the build orientation the quote assumed; %(faces)s of the file's %(source)s triangles shown.", {
            process: header.process || _t("the default process"),
            faces: header.triangles.toLocaleString(),
            source: header.source_triangles.toLocaleString(),
        })
    );
    root.append(select, note, list, scope);
    let listener = () => {};
    select.addEventListener("change", () => listener(select.value));
    return {
        root,
        show(name) {
            const chosen = layers.find((each) => each.name === name) || layers[0];
            select.value = chosen.name;
            note.textContent = chosen.legend;
        },
        onChange(callback) {
            listener = callback;
        },
    };
}

registry.category("odm_quote.viewer").add("mount", mountPartViewer);
