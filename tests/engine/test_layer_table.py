"""The fine-layer table of the FDM estimate: its sections against an independent plane cut of
the mesh, and its figures pinned (a faster sectioning must give the same table)."""

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation
from shapes import frustum

from odm_engine.mesh.repair import clean_mesh, edge_topology, weld
from odm_engine.slicing import layers

# A turn that lines no face up with the layers, and a torus: every section a pair of loops or
# a loop round a hole, faces facing up and down at every slope.
ROTATION = Rotation.from_euler("xyz", [35, 20, 10], degrees=True).as_matrix()
# Column sums of the torus's table as the first (per-piece) implementation computed them.
PINNED = {
    "contour_mm": 35190.81154823303,
    "area_mm2": 141616.82488441467,
    "loops": 510.0,
    "holes": 0.0,
    "small_loop_mm": 614.6706371307373,
    "overhang_contour_mm": 4918.182155609131,
    "corners_0": 23673.0,
    "corners_1": 5957.0,
    "corners_2": 108.0,
    "corners_3": 12.0,
    "corners_4": 0.0,
    "up_mm2_0": 4.10442128777504,
    "up_mm2_1": 96.37634308636189,
    "up_mm2_2": 695.8372807390988,
    "up_mm2_3": 454.30017945356667,
    "up_mm2_4": 87.80590648006182,
    "down_mm2_0": 4.1044212728738785,
    "down_mm2_1": 96.37634392082691,
    "down_mm2_2": 695.8372793644667,
    "down_mm2_3": 454.30017843609676,
    "down_mm2_4": 87.80590646993369,
    "contour_mm_dir_0": 5247.524599254131,
    "contour_mm_dir_1": 5757.585743904114,
    "contour_mm_dir_2": 8062.8315308094025,
    "contour_mm_dir_3": 5538.176008939743,
    "contour_mm_dir_4": 5389.615878880024,
    "contour_mm_dir_5": 5195.0778549313545,
    # Contour by the surface class of the faces it crosses (added with them; they add up to
    # contour_mm).
    "up_contour_mm_0": 0.5205867886543274,
    "up_contour_mm_1": 199.45646941661835,
    "up_contour_mm_2": 4718.256634354591,
    "up_contour_mm_3": 7264.780862569809,
    "up_contour_mm_4": 5412.305294036865,
    "down_contour_mm_0": 1.0030977725982666,
    "down_contour_mm_1": 200.084224909544,
    "down_contour_mm_2": 4717.094836950302,
    "down_contour_mm_3": 7265.195346236229,
    "down_contour_mm_4": 5412.1142320632935,
}


@pytest.fixture(scope="module")
def torus(meshgen):
    shape = trimesh.creation.torus(
        major_radius=20, minor_radius=6, major_sections=96, minor_sections=48
    )
    part = meshgen.part(shape.triangles)
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    table = layers.layer_table(mesh.vertices, mesh.faces, mesh.topology.neighbour, ROTATION)
    return mesh, table


def test_every_section_is_the_plane_cut_of_the_mesh(torus):
    mesh, table = torus
    columns = layers.unpack(table)
    turned = mesh.vertices @ ROTATION.T
    turned[:, 2] -= turned[:, 2].min()
    cut = trimesh.Trimesh(turned, mesh.faces, process=False)
    for layer in range(3, table["layers"], 29):
        height = (layer + 0.5) * table["pitch_mm"]
        segments, faces = trimesh.intersections.mesh_plane(
            cut, [0, 0, 1], [0, 0, height], return_faces=True
        )
        start, end = segments[:, 0, :2], segments[:, 1, :2]
        # The contour runs with the material on its left: the outward normal on its right.
        normal = cut.face_normals[faces]
        right = np.column_stack([-normal[:, 1], normal[:, 0]])
        backwards = (np.einsum("ij,ij->i", end - start, right) < 0)[:, None]
        start, end = np.where(backwards, end, start), np.where(backwards, start, end)
        length = np.linalg.norm(end - start, axis=1).sum()
        area = np.sum(start[:, 0] * end[:, 1] - end[:, 0] * start[:, 1]) / 2
        assert columns["contour_mm"][layer] == pytest.approx(length, rel=1e-5)
        assert columns["area_mm2"][layer] == pytest.approx(area, rel=1e-5)
    # Up- and down-facing surfaces each project onto the torus's shadow.
    up = sum(columns[f"up_mm2_{i}"].sum() for i in range(len(layers.SLOPE_EDGES_TAN) + 1))
    shadow = np.abs(cut.area_faces * cut.face_normals[:, 2]).sum() / 2
    assert up == pytest.approx(shadow, rel=1e-6)


def test_the_table_holds_the_same_figures(torus):
    columns = layers.unpack(torus[1])
    assert {name: float(columns[name].sum()) for name in PINNED} == pytest.approx(PINNED, rel=1e-6)


def test_runs_of_triangles_do_not_change_the_table(torus, monkeypatch):
    """The table is built run by run of triangles; contours cross from run to run."""
    mesh, table = torus
    monkeypatch.setattr(layers, "RUN_PIECES", 97)
    in_runs = layers.layer_table(mesh.vertices, mesh.faces, mesh.topology.neighbour, ROTATION)
    whole, cut = layers.unpack(table), layers.unpack(in_runs)
    for name in layers.COLUMNS:
        np.testing.assert_allclose(cut[name], whole[name], rtol=1e-6, atol=1e-6, err_msg=name)


def test_an_open_edge_ends_its_contour_without_a_successor(meshgen):
    """A box with its lid missing (not repaired) is cut into open chains: each counts once,
    and its pieces' length in full."""
    box = meshgen.box((10.0, 10.0, 5.0))
    lidless = box[~np.all(np.isclose(box[:, :, 2], 5.0), axis=1)]
    part = meshgen.part(lidless)
    vertices, faces, _ = weld(part.vertices, part.faces)
    topology = edge_topology(faces, len(vertices))
    assert topology.boundary_edges == 4
    columns = layers.unpack(layers.layer_table(vertices, faces, topology.neighbour, np.eye(3)))
    assert columns["contour_mm"][25] == pytest.approx(40.0)
    assert columns["loops"][25] == 1


def test_the_contour_across_each_surface_class_gives_its_slope(meshgen):
    """A frustum's sides rise 2.5 mm per mm inward: each layer's contour lies on them, and
    the contour across them times the pitch over their projected area is that slope."""
    part = meshgen.part(frustum(30.0, 10.0, 25.0))
    vertices, faces, _ = weld(part.vertices, part.faces)
    topology = edge_topology(faces, len(vertices))
    columns = layers.unpack(layers.layer_table(vertices, faces, topology.neighbour, np.eye(3)))
    steep = int(np.searchsorted(layers.SLOPE_EDGES_TAN, 2.5))
    middle = slice(10, 240)
    contour = columns[f"up_contour_mm_{steep}"][middle]
    np.testing.assert_allclose(contour, columns["contour_mm"][middle], rtol=1e-5)
    slope = contour * layers.PITCH_MM / columns[f"up_mm2_{steep}"][middle]
    np.testing.assert_allclose(slope, 2.5, rtol=1e-3)
    others = set(layers.COLUMNS) & {f"up_contour_mm_{i}" for i in range(5) if i != steep}
    assert all(columns[name][middle].sum() == 0 for name in others)


def test_a_flat_top_on_a_layer_boundary_tops_the_layer_under_it(meshgen):
    """A 1 mm step 3 mm up (a round height, on a fine-layer boundary): its top surface is the
    top of the layer under the boundary, whose section (at its mid-plane) still holds the step
    while the layer over it no longer does; the part's bottom is the bottom of the first layer.
    The same 2 micrometres higher (a file's rounding) changes nothing."""
    occupied = np.zeros((2, 1, 5), dtype=bool)
    occupied[0, 0, :] = True
    occupied[1, 0, :3] = True
    part = meshgen.part(meshgen.voxels(occupied))
    vertices, faces, _ = weld(part.vertices, part.faces)
    topology = edge_topology(faces, len(vertices))
    for lift in (0.0, 0.002):
        raised = vertices + np.where(np.isclose(vertices[:, 2], 3.0), lift, 0.0)[:, None] * [
            0,
            0,
            1,
        ]
        table = layers.layer_table(raised, faces, topology.neighbour, np.eye(3))
        columns = layers.unpack(table)
        up, down = columns["up_mm2_0"], columns["down_mm2_0"]
        assert up[29] == pytest.approx(1.0)
        assert up[49] == pytest.approx(1.0)
        assert up.sum() == pytest.approx(2.0)
        assert down[0] == pytest.approx(2.0)
        assert columns["area_mm2"][29] == pytest.approx(2.0)
        assert columns["area_mm2"][30] == pytest.approx(1.0)
