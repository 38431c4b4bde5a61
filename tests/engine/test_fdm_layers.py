"""The layer-based FDM estimate: the fine-layer table of the analysis and its pricing."""

import base64
import dataclasses
import json
import math
import zlib
from types import SimpleNamespace

import numpy as np
import pytest
from shapes import frustum

from odm_engine.mesh import geometry
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.hull import convex_hull
from odm_engine.mesh.repair import clean_mesh
from odm_engine.mesh.surface import build_surface
from odm_engine.pricing.defaults import default_config
from odm_engine.pricing.quote import quote_part
from odm_engine.slicing import layers


@pytest.fixture(scope="module")
def frame(meshgen):
    """A 20 x 20 x 10 mm square frame with 4 mm walls (a 12 x 12 mm hole), voxels of 1 mm."""
    occupied = np.ones((20, 20, 10), dtype=bool)
    occupied[4:16, 4:16, :] = False
    return analyse(meshgen.part(meshgen.voxels(occupied)), fdm_layers=True).to_dict()


@pytest.fixture(scope="module")
def block(meshgen):
    return analyse(meshgen.part(meshgen.box((40.0, 30.0, 10.0))), fdm_layers=True).to_dict()


def test_the_table_holds_every_fine_layer_of_the_printed_part(frame):
    table = frame[layers.ANALYSIS_KEY]
    columns = layers.unpack(table)
    assert table["layers"] == round(frame["orientation"]["height_mm"] / layers.PITCH_MM)
    middle = table["layers"] // 2
    # Standing on its 20 x 20 face or lying on a side, a section is the frame's outline.
    area = columns["area_mm2"][middle]
    assert area == pytest.approx(frame["volume_mm3"] / frame["orientation"]["height_mm"])
    # Standing: an outline and its hole; lying: two separate walls.
    assert (columns["loops"][middle], columns["holes"][middle]) in ((2, 1), (2, 0))
    # Up- and down-facing surfaces, all slopes together, project onto the same area.
    up = sum(columns[name].sum() for name in layers.COLUMNS if name.startswith("up_mm2"))
    down = sum(columns[name].sum() for name in layers.COLUMNS if name.startswith("down_mm2"))
    assert up == pytest.approx(down)
    assert columns["support_mm2"].sum() == 0


def test_a_square_section_has_four_right_angle_corners(block):
    columns = layers.unpack(block[layers.ANALYSIS_KEY])
    middle = block[layers.ANALYSIS_KEY]["layers"] // 2
    # The voxel box's sides are split in triangles, but only its corners turn the contour.
    right_angles = np.searchsorted(layers.CORNER_EDGES_DEG, 90.0, side="right") - 1
    assert columns[f"corners_{right_angles}"][middle] == 4
    assert sum(columns[f"corners_{i}"][middle] for i in range(right_angles)) == 0
    assert columns["contour_mm"][middle] == pytest.approx(140.0)


def test_the_estimate_follows_the_profile_not_the_part(block):
    table = block[layers.ANALYSIS_KEY]
    mk4 = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA"))
    voron = layers.estimate(table, layers.FdmProfile.load("VORON350", "PLA"))
    assert mk4.layers == 50
    assert voron.print_time_s < mk4.print_time_s  # faster motion system, same toolpaths
    assert voron.material_g == pytest.approx(mk4.material_g)
    # The whole block is extruded once, at most: perimeters, skins and 15 % infill inside.
    volume = 40 * 30 * 10
    assert 0.25 * volume < mk4.extruded_mm3 < volume
    fine = layers.estimate(
        table,
        layers.FdmProfile.load("MK4", "PLA", {"layer_height": 0.1, "first_layer_height": 0.1}),
    )
    assert fine.layers == 100
    assert fine.print_time_s > 1.5 * mk4.print_time_s
    dense = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", {"fill_density": "40%"}))
    assert dense.material_g > mk4.material_g


def test_a_thin_plate_is_solid_and_weighs_its_volume(meshgen):
    plate = analyse(meshgen.part(meshgen.box((60.0, 40.0, 1.0))), fdm_layers=True).to_dict()
    estimate = layers.estimate(plate[layers.ANALYSIS_KEY], layers.FdmProfile.load("MK4", "PLA"))
    assert estimate.layers == 5
    assert estimate.grams_by_feature["sparse_infill"] == 0
    assert estimate.extruded_mm3 == pytest.approx(60 * 40 * 1.0, rel=0.05)


def test_gyroid_infill_is_slower_than_its_nominal_speed():
    per_mm = layers.gyroid_seconds_per_mm(0.4, 0.15, 150.0, 3000.0, 8.0)
    assert per_mm > 1 / 150.0
    assert layers.gyroid_seconds_per_mm(0.4, 0.15, 150.0, 6000.0, 8.0) < per_mm


def test_gyroid_polylines_are_timed_once_for_every_feed(monkeypatch):
    """Layers the cooling slows each have their own feed: one pass over the polylines times
    them all, each as it would be alone."""
    feeds = tuple(float(v) for v in range(20, 140, 3))
    alone = [layers.gyroid_seconds_per_mm(0.45, 0.2, v, 2500.0, 8.0) for v in feeds]
    drawn = []
    polyline = layers._gyroid_polyline
    monkeypatch.setattr(
        layers, "_gyroid_polyline", lambda *args: drawn.append(args) or polyline(*args)
    )
    together = layers.gyroid_seconds_per_mm_at(0.45, 0.2, feeds, 2500.0, 8.0)
    assert list(together) == alone
    assert len(drawn) == 8, "one z period's polylines, whatever the number of feeds"


def test_quotes_price_from_the_stored_table_and_older_analyses_still_price(block):
    stored = json.loads(json.dumps(block))
    quote = quote_part(stored, "FDM", "PLA", 1)
    estimate = layers.estimate(stored[layers.ANALYSIS_KEY], layers.FdmProfile.load("MK4", "PLA"))
    assert quote.print_time_s == pytest.approx(estimate.print_time_s)
    assert quote.material_g == pytest.approx(estimate.extruded_mm3 / 1000 * 1.24)
    machine = next(line for line in quote.breakdown if line.code == "machine_time")
    assert "layer by layer" in machine.formula and machine.inputs["layers"] == 50
    older = {key: value for key, value in stored.items() if key != layers.ANALYSIS_KEY}
    legacy = quote_part(older, "FDM", "PLA", 1)
    assert (
        "volumetric_flow_mm3_s"
        in next(line for line in legacy.breakdown if line.code == "machine_time").inputs
    )
    assert math.isfinite(legacy.print_time_s)


def test_a_table_of_another_version_is_refused(block):
    table = dict(block[layers.ANALYSIS_KEY], version=99)
    with pytest.raises(ValueError, match="version"):
        layers.unpack(table)


def test_a_part_no_printer_takes_gets_no_table_and_prices_by_volume(meshgen):
    tower = analyse(
        meshgen.part(meshgen.box((1100.0, 1100.0, 1100.0)), unit="mm"), fdm_layers=True
    ).to_dict()
    assert tower[layers.ANALYSIS_KEY] is None
    quote = quote_part(tower, "FDM", "PLA", 1)
    machine = next(line for line in quote.breakdown if line.code == "machine_time")
    assert "volumetric_flow_mm3_s" in machine.inputs


def test_the_shops_layout_parameters_override_the_print_profile(block):
    config = default_config()
    denser = dataclasses.replace(config.processes["FDM"], infill_pct=60.0)
    edited = dataclasses.replace(config, processes={**config.processes, "FDM": denser})
    before = quote_part(block, "FDM", "PLA", 1, config=config)
    after = quote_part(block, "FDM", "PLA", 1, config=edited)
    assert after.material_g > before.material_g


def test_a_small_layer_is_slowed_to_the_profiles_minimum_layer_time(meshgen):
    """PrusaSlicer's cooling stretches every layer faster than slowdown_below_layer_time to it,
    by slowing the extrusions, but never below min_print_speed."""
    rod = analyse(meshgen.part(meshgen.box((5.0, 5.0, 10.0))), fdm_layers=True).to_dict()
    table = rod[layers.ANALYSIS_KEY]
    free = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", {"cooling": 0}))
    slowed = layers.estimate(
        table,
        layers.FdmProfile.load(
            "MK4", "PLA", {"slowdown_below_layer_time": 20, "min_print_speed": 1}
        ),
    )
    assert free.time_by_feature_s["cooling"] == 0
    assert free.print_time_s < free.layers * 20
    # Every layer takes 20 s reckoned by feed rates, as the slicer counts (the slowest
    # extrusion, 1 mm/s, allows all of it), plus the accelerations of its travel moves.
    assert slowed.layers * 20 < slowed.print_time_s < slowed.layers * 20 * 1.05
    capped = layers.estimate(
        table,
        layers.FdmProfile.load(
            "MK4", "PLA", {"slowdown_below_layer_time": 20, "min_print_speed": 15}
        ),
    )
    # At 15 mm/s the extrusions of a 5 mm rod take a few seconds per layer: the cap holds.
    assert free.print_time_s < capped.print_time_s < slowed.print_time_s / 2


def test_slowed_extrusions_still_pay_their_accelerations(meshgen):
    """CoolingBuffer picks the slower feed rate by length over feed rate; the printer then runs
    the slowed moves with its accelerations, so a layer slowed to the minimum layer time takes
    longer on a printer that accelerates slower (it used to take the minimum either way)."""
    slab = analyse(meshgen.part(meshgen.box((20.0, 20.0, 4.0))), fdm_layers=True).to_dict()
    table = slab[layers.ANALYSIS_KEY]
    cooling = {"slowdown_below_layer_time": 30, "min_print_speed": 10}
    slowed = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", cooling))
    gentle = {**cooling, "perimeter_acceleration": 500, "infill_acceleration": 500}
    slowed_gently = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", gentle))
    free = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", {"cooling": 0}))
    assert free.print_time_s < free.layers * 30 < slowed.print_time_s
    assert slowed_gently.print_time_s - slowed.print_time_s > 0.5 * slowed.layers


def test_overlapping_bodies_are_printed_once(meshgen):
    """Two boxes pushed into each other print as their union, not as twice the shared part."""
    pair = np.vstack([meshgen.box((20.0, 20.0, 10.0)), meshgen.box((20.0, 20.0, 10.0), (10, 0, 0))])
    union = meshgen.box((30.0, 20.0, 10.0))
    profile = layers.FdmProfile.load("MK4", "PLA")
    estimates = [
        layers.estimate(
            analyse(meshgen.part(body), fdm_layers=True).to_dict()[layers.ANALYSIS_KEY], profile
        )
        for body in (pair, union)
    ]
    overlapping, single = estimates
    assert overlapping.material_g == pytest.approx(single.material_g, rel=0.05)
    columns = [
        layers.unpack(analyse(meshgen.part(body), fdm_layers=True).to_dict()[layers.ANALYSIS_KEY])
        for body in (pair, union)
    ]
    assert columns[0]["area_mm2"][50] == pytest.approx(600.0, rel=0.02)


def test_overlapping_bodies_are_one_island_and_bodies_apart_stay_apart(meshgen):
    """Each layer of two boxes pushed into each other has one outline, as their union; a box
    apart, and a pin standing in a frame's hole, stay islands of their own."""
    frame = np.ones((20, 20, 10), dtype=bool)
    frame[4:16, 4:16, :] = False
    bodies = np.vstack(
        [
            meshgen.box((20.0, 20.0, 10.0), (0, 40, 0)),
            meshgen.box((20.0, 20.0, 10.0), (10, 40, 0)),
            meshgen.box((10.0, 10.0, 10.0), (50, 40, 0)),
            meshgen.voxels(frame),
            meshgen.box((4.0, 4.0, 10.0), (8, 8, 0)),
        ]
    )
    table = analyse(meshgen.part(bodies), fdm_layers=True).to_dict()[layers.ANALYSIS_KEY]
    columns = layers.unpack(table)
    # Loops: the pair's union, the box apart, the frame's outline and hole, the pin.
    assert columns["loops"][50] == 5
    assert columns["holes"][50] == 1
    union = np.vstack([meshgen.box((30.0, 20.0, 10.0))])
    pair = np.vstack([meshgen.box((20.0, 20.0, 10.0)), meshgen.box((20.0, 20.0, 10.0), (10, 0, 0))])
    profile = layers.FdmProfile.load("MK4", "PLA")
    overlapping, single = (
        layers.estimate(
            analyse(meshgen.part(body), fdm_layers=True).to_dict()[layers.ANALYSIS_KEY], profile
        )
        for body in (pair, union)
    )
    assert overlapping.time_by_feature_s["travel"] == pytest.approx(
        single.time_by_feature_s["travel"], rel=0.05
    )


def test_a_lattice_of_many_overlapping_bodies_is_one_island_in_bounded_time(meshgen):
    """Past MAX_OUTLINE_PAIRS outline pairs on a layer, outlines whose boxes meet are one."""
    bars = np.vstack(
        [meshgen.box((3.0, 3.0, 5.0), (2.5 * i, 2.5 * j, 0)) for i in range(6) for j in range(6)]
    )
    table = analyse(meshgen.part(bars), fdm_layers=True).to_dict()[layers.ANALYSIS_KEY]
    assert layers.unpack(table)["loops"][25] == 1


@pytest.mark.parametrize(("ledge_z", "supported"), [(0.25, False), (1.0, True)])
def test_an_overhang_too_near_the_plate_for_a_contact_layer_is_not_supported(
    meshgen, ledge_z, supported
):
    """PrusaSlicer does not support an overhang whose contact layer would fall below the first
    layer's height; one a few layers up gets its column as before."""
    part = meshgen.part(meshgen.box((20.0, 20.0, 5.0)))
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    # One column of 20 mm2 on the plate under a ledge at ledge_z, with 1 mm of free edge.
    column = (np.array([ledge_z]), np.zeros(1), np.array([20.0]), np.zeros(1, bool), np.ones(1))
    table = layers.layer_table(
        mesh.vertices, mesh.faces, mesh.topology.neighbour, np.eye(3), supports=column
    )
    estimate = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA"))
    assert (estimate.grams_by_feature["support"] > 0) is supported


def test_supports_stand_wider_than_the_overhang_past_its_free_edges(meshgen):
    """A 20 x 20 mm cap on a 4 x 4 mm stem: PrusaSlicer grows the cap's contact area past the
    cap's rim (not at the stem) and snaps the support to its grid."""
    occupied = np.zeros((20, 20, 14), dtype=bool)
    occupied[8:12, 8:12, :10] = True
    occupied[:, :, 10:] = True
    part = meshgen.part(meshgen.voxels(occupied))
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    hull = convex_hull(mesh.vertices, mesh.bounds)
    surface = build_surface(mesh, mesh.normals, mesh.areas, hull, geometry.DEFAULT_SAMPLES)
    # Printed standing on its stem (the analysis would turn it over).
    table = geometry.fdm_layer_table(mesh, surface, SimpleNamespace(rotation=np.eye(3)), 45.0)
    columns = layers.unpack(table)
    middle = 50  # 5 mm up the stem
    assert columns["support_mm2"][middle] == pytest.approx(400 - 16, rel=0.1)
    # The rim (4 x 20 mm) is free; the stem's junction is not.
    assert columns["support_edge_mm"][middle] == pytest.approx(80.0, rel=0.05)
    profile = layers.FdmProfile.load("MK4", "PLA")
    estimate = layers.estimate(table, profile)
    grid = profile.support_spacing + layers.spacing(profile.widths["support"], 0.2)
    grown = (20 + 2 * (layers.SUPPORT_MARGIN_MM + 2 / math.pi * grid)) ** 2 - 16
    line = layers.cross_section(profile.widths["support"], 0.2)
    base = grown / (profile.support_spacing + layers.spacing(profile.widths["support"], 0.2))
    # About 49 support layers of base lines (interfaces are denser): at least the base's grams.
    assert estimate.grams_by_feature["support"] > 45 * base * line * profile.density / 1000
    without = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA", {"support_material": 0}))
    assert without.grams_by_feature["support"] == 0


def _screw_m3x8(meshgen):
    """The benchmark's generated M3 x 8 screw (``bench/fdm_shapes.py``, ``tiny_screw``): a
    5.5 mm head 2.5 mm long and a shank of ring threads, crests 3 mm and roots 2.4 mm across,
    0.5 mm apart. The analysis lays it on its side, the shank 1.25 mm above the plate."""
    trimesh_creation = pytest.importorskip("trimesh.creation")
    profile = [(0.0, 0.0), (2.75, 0.0), (2.75, 2.5), (1.5, 2.5)]
    for ring in range(16):
        z = 2.5 + 0.5 * ring
        profile += [(1.2, z + 0.25), (1.5, z + 0.5)]
    profile += [(0.0, 10.5)]
    screw = trimesh_creation.revolve(np.asarray(profile), sections=48)
    return meshgen.part(screw.triangles)


def test_a_screw_lying_has_its_thread_crests_supported(meshgen):
    """The thread's flanks lean 50 degrees from horizontal, so no face is an overhang; but the
    crests, flatter than 45 degrees under the shank, stick out of the layer below, and
    PrusaSlicer (which compares each layer with the one below) supports the whole shank."""
    part = _screw_m3x8(meshgen)
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    hull = convex_hull(mesh.vertices, mesh.bounds)
    surface = build_surface(mesh, mesh.normals, mesh.areas, hull, geometry.DEFAULT_SAMPLES)
    lying = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # the axis along x
    columns = layers.unpack(
        geometry.fdm_layer_table(mesh, surface, SimpleNamespace(rotation=lying), 45.0)
    )
    # From 0.8 mm up to the shank's underside (1.25 mm up, above the head's own overhang),
    # along the 8 mm shank: the crests' contact band (the faces alone leave nothing there).
    assert columns["support_edge_mm"][8:12].min() > 8.0
    assert columns["support_mm2"][8:12].max() == 0.0


def test_a_small_screw_lying_weighs_what_the_slicer_prints(meshgen):
    """PrusaSlicer 2.5.0 (--precise, MK4, PLA) prints the lying screw in 0.20 g: by the
    G-code's ;TYPE: features, 0.099 g of perimeters, 0.076 g of support (0.045 g of it
    interface) and 0.023 g of infill. Without the crests' support the estimate weighed 0.137 g
    (-31 %) and its support 0.007 g."""
    analysis = analyse(_screw_m3x8(meshgen), fdm_layers=True).to_dict()
    estimate = layers.estimate(analysis[layers.ANALYSIS_KEY], layers.FdmProfile.load("MK4", "PLA"))
    assert estimate.material_g == pytest.approx(0.20, rel=0.25)
    assert estimate.grams_by_feature["support"] > 0.02


def frustum_table(meshgen, top: float, height: float) -> dict:
    """The table of a square frustum on a 30 mm base, ``top`` mm wide ``height`` mm up."""
    part = meshgen.part(frustum(30.0, top, height))
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    return layers.layer_table(mesh.vertices, mesh.faces, mesh.topology.neighbour, np.eye(3))


@pytest.mark.parametrize(
    ("height", "ring_kept"),
    [
        # Sides 2.5 mm up per mm in: the 4 layers above reach 0.32 mm in, under a solid line.
        (25.0, False),
        # Sides 1 mm up per mm in: a ring of 0.8 mm, about two solid lines.
        (10.0, True),
    ],
)
def test_vertical_shells_narrower_than_a_solid_line_are_dropped(meshgen, height, ring_kept):
    """ensure_vertical_shell_thickness makes solid the ring of each layer that is not inside
    the layers within reach; PrusaSlicer then opens that shell by a solid infill spacing
    (discover_vertical_shells), so a steep slope's narrow ring gets no solid infill and a
    gentler slope's wider ring keeps it."""
    table = frustum_table(meshgen, 10.0, height)
    shells = layers.estimate(table, layers.FdmProfile.load("MK4", "PLA"))
    without = layers.estimate(
        table, layers.FdmProfile.load("MK4", "PLA", {"ensure_vertical_shell_thickness": 0})
    )
    solid = shells.grams_by_feature["solid_infill"]
    plain = without.grams_by_feature["solid_infill"]
    if ring_kept:
        assert solid > plain * 1.1
    else:
        assert solid == pytest.approx(plain, rel=1e-3)


def test_a_table_stored_before_the_slope_columns_still_prices(meshgen):
    """Tables stored before the contour across each surface class was kept lack those columns:
    the estimate takes each class's middle slope instead (the same table version reads)."""
    table = frustum_table(meshgen, 10.0, 10.0)
    columns = layers.unpack(table)
    kept = [name for name in table["columns"] if "_contour_mm_" not in name]
    data = np.stack([columns[name].astype(np.float32) for name in kept])
    older = dict(
        table,
        columns=kept,
        data=base64.b64encode(zlib.compress(data.tobytes())).decode("ascii"),
    )
    profile = layers.FdmProfile.load("MK4", "PLA")
    assert len(kept) < len(table["columns"])
    assert layers.estimate(older, profile).print_time_s == pytest.approx(
        layers.estimate(table, profile).print_time_s, rel=0.05
    )
