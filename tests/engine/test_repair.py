"""Shortcuts of the mesh repair: each must give exactly what the plain computation gives."""

import dataclasses

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from odm_engine.mesh import repair
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.raycast import _select, bounds, packed_sort
from odm_engine.mesh.repair import (
    _is_soup,
    clean_mesh,
    edge_topology,
    face_geometry,
    shells_of,
    turned_topology,
    weld,
)


def _shells_with_seams(meshgen) -> tuple[np.ndarray, np.ndarray]:
    """Indexed faces of three cubes meeting along edges (non-manifold edges), a separate cube
    with one triangle missing (boundary edges) and a cube inside it (a cavity)."""
    apart = meshgen.voxels(np.array([1, 0, 1]).reshape(3, 1, 1) > 0, 1.0)
    touching = np.concatenate([apart, meshgen.box((1, 1, 1), (1, 1, 0))])
    open_cube = meshgen.box((6, 6, 6), (5, 0, 0))[1:]
    inner = meshgen.box((2, 2, 2), (7, 2, 2))
    return meshgen.indexed(np.concatenate([touching, open_cube, inner]))


def _plain_topology(faces: np.ndarray):
    """Neighbours, flips and pairs the slow way: a dictionary of the half-edges of each edge."""
    halfedges = {}
    corners = zip(faces.ravel().tolist(), np.roll(faces, -1, 1).ravel().tolist(), strict=True)
    for position, (start, end) in enumerate(corners):
        edge = (min(start, end), max(start, end))
        halfedges.setdefault(edge, []).append((position, start, end))
    neighbour = np.full(faces.size, -1)
    flipped = np.zeros(faces.size, dtype=bool)
    pairs = []
    for edge in sorted(halfedges):
        if len(halfedges[edge]) == 2:
            (first, start, end), (second, other_start, other_end) = halfedges[edge]
            neighbour[first], neighbour[second] = second // 3, first // 3
            flipped[first] = flipped[second] = (start < end) == (other_start < other_end)
            pairs.append((first // 3, second // 3, start, end))
    return neighbour, flipped, np.array(pairs)


@pytest.mark.parametrize("block", [None, 7])
@pytest.mark.parametrize("closed", [True, False])
def test_edge_topology_matches_the_plain_pairing(meshgen, monkeypatch, closed, block):
    if block:  # half-edges keyed in several blocks, the last one short
        monkeypatch.setattr(repair, "_EDGE_BLOCK", block)
    if closed:
        vertices, faces = meshgen.indexed(meshgen.voxels(np.ones((2, 3, 1)), 1.0))
        faces = faces[np.random.default_rng(9).permutation(len(faces))]
        faces[::5] = faces[::5, ::-1]  # some windings disagree
    else:
        vertices, faces = _shells_with_seams(meshgen)
    topology = edge_topology(faces, len(vertices))
    assert (topology.boundary_edges == 0) == closed
    neighbour, flipped, pairs = _plain_topology(faces)
    assert np.array_equal(topology.neighbour.ravel(), neighbour)
    assert np.array_equal(topology.flipped.ravel(), flipped)
    assert np.array_equal(topology.pairs, pairs)


@pytest.mark.parametrize("seams", [True, False])
def test_shells_are_the_components_scipy_finds(meshgen, seams):
    """Shell labels are the components of the faces' edge links and seams, as scipy finds them."""
    vertices, faces = _shells_with_seams(meshgen)
    if not seams:  # only the open cube and the cube inside it: boundary loops, no junctions
        vertices, faces = meshgen.indexed(
            np.concatenate([meshgen.box((6, 6, 6), (5, 0, 0))[1:], meshgen.box((2, 2, 2))])
        )
    topology = edge_topology(faces, len(vertices))
    assert topology.boundary_edges and bool(len(topology.junctions)) == seams
    count = len(faces)
    links = [
        (face, other) for face, row in enumerate(topology.neighbour) for other in row if other >= 0
    ]
    links += [tuple(link) for link in topology.junctions]
    first, second = np.array(links).T
    graph = csr_matrix((np.ones(len(first)), (first, second)), shape=(count, count))
    expected = connected_components(graph, directed=False)[1]
    labels = shells_of(topology)
    assert labels.dtype == expected.dtype and np.array_equal(labels, expected)


def test_face_geometry_in_blocks_is_the_whole_array_formula(meshgen, monkeypatch):
    """Bit for bit, with several blocks and a short last one."""
    monkeypatch.setattr(repair, "_GEOMETRY_BLOCK", 7)
    vertices, faces = meshgen.indexed(
        meshgen.voxels(np.random.default_rng(3).random((4, 3, 2)) > 0.4, 1.5)
    )
    vertices = vertices + np.random.default_rng(4).normal(0, 0.1, vertices.shape)
    faces = np.vstack([faces, faces[:1, [0, 0, 1]]])  # a degenerate face: zero normal
    geometry = face_geometry(vertices, faces, bounds(vertices))
    centred = vertices - sum(bounds(vertices)) / 2
    a, b, c = (centred[faces[:, k]] for k in range(3))
    e1, e2 = b - a, c - a
    cross = np.column_stack(
        [
            e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1],
            e1[:, 2] * e2[:, 0] - e1[:, 0] * e2[:, 2],
            e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0],
        ]
    )
    doubled = np.sqrt(np.einsum("ij,ij->i", cross, cross))
    volumes = (a[:, 0] * cross[:, 0] + a[:, 1] * cross[:, 1] + a[:, 2] * cross[:, 2]) / 6.0
    with np.errstate(invalid="ignore", divide="ignore"):
        normals = cross * np.where(doubled > 0, 1.0 / doubled, 0.0)[:, None]
    assert len(faces) > 3 * 7 and len(faces) % 7
    assert np.array_equal(geometry.normals, normals)
    assert np.array_equal(geometry.areas, doubled / 2)
    assert np.array_equal(geometry.volumes, volumes)
    assert not geometry.normals[-1].any()


def test_turning_shells_keeps_the_topology_of_the_turned_faces(meshgen):
    vertices, faces = _shells_with_seams(meshgen)
    topology = edge_topology(faces, len(vertices))
    assert topology.boundary_edges and topology.nonmanifold_edges and len(topology.junctions)
    shell = shells_of(topology)
    for turned_shells in ([0], [shell.max()], range(shell.max() + 1)):
        turned = np.isin(shell, list(turned_shells))
        turned_faces = np.where(turned[:, None], faces[:, ::-1], faces)
        expected = edge_topology(turned_faces, len(vertices))
        shortcut = turned_topology(topology, turned)
        for name in vars(expected):
            assert np.array_equal(getattr(shortcut, name), getattr(expected, name)), name


def test_inside_out_shells_are_turned_exactly_as_if_read_the_right_way(meshgen):
    outer = meshgen.box((10, 10, 10))
    cavity = meshgen.box((4, 4, 4), (3, 3, 3))[:, ::-1]
    right = analyse(meshgen.part(np.concatenate([outer, cavity]))).to_dict()
    inverted = analyse(meshgen.part(np.concatenate([outer, cavity])[:, ::-1])).to_dict()
    assert inverted["inverted_normals"] and inverted["cavities"] == 1
    assert inverted["volume_mm3"] == right["volume_mm3"] == pytest.approx(1000 - 64)
    for key in ("area_mm2", "hull_volume_mm3", "obb_mm", "min_wall_mm", "orientation", "cnc"):
        assert inverted[key] == right[key], key


def test_result_does_not_depend_on_the_order_of_the_triangles(meshgen):
    triangles = meshgen.voxels(np.random.default_rng(5).random((5, 4, 3)) > 0.3, 2.0)
    shuffled = triangles[np.random.default_rng(6).permutation(len(triangles))]
    first = analyse(meshgen.part(triangles)).to_dict()
    second = analyse(meshgen.part(np.roll(shuffled, 1, axis=1)[:, ::-1])).to_dict()
    for key in ("volume_mm3", "area_mm2", "hull_volume_mm3", "obb_mm", "bbox_mm"):
        assert second[key] == pytest.approx(first[key], rel=1e-12), key
    assert second["vertices"] == first["vertices"] and second["bodies"] == first["bodies"]


@pytest.mark.parametrize("unit", ["mm", "inch", "cm"])
def test_loader_bounds_are_the_bounds_of_the_loaded_vertices(meshgen, unit):
    box = meshgen.voxels(np.ones((2, 2, 2)), 1.0) * (3.1, 2.7, 1.3) + (-1.7, 0.3, 5.9)
    triangles = box + 0.01 * np.sin(7 * box)  # uneven coordinates, corners still shared
    part = meshgen.part(triangles, unit=unit)
    low, high = part.vertex_bounds
    expected_low, expected_high = bounds(part.vertices)
    assert np.array_equal(low, expected_low) and np.array_equal(high, expected_high)
    given = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    measured = clean_mesh(part.vertices, part.faces, part.indexed)
    assert np.array_equal(given.vertices, measured.vertices)
    assert np.array_equal(given.faces, measured.faces)
    moved = dataclasses.replace(part, vertices=part.vertices * 2 + 1)
    assert np.array_equal(moved.vertex_bounds[0], expected_low * 2 + 1)
    assert np.array_equal(moved.vertex_bounds[1], expected_high * 2 + 1)


def test_parts_built_by_hand_measure_the_vertices_their_faces_use(meshgen):
    part = meshgen.part(meshgen.box((2, 3, 4)))
    far = np.vstack([part.vertices, [[100.0, -100.0, 50.0]]])  # referenced by no face
    by_hand = dataclasses.replace(part, vertices=far, indexed=True)
    assert by_hand.vertex_bounds[0].tolist() == [0, 0, 0]
    assert by_hand.vertex_bounds[1].tolist() == [2, 3, 4]


def test_soup_check_and_weld_of_soups_and_indexed_meshes(meshgen):
    triangles = meshgen.voxels(np.ones((2, 2, 2)), 1.0)
    soup_vertices = triangles.reshape(-1, 3)
    soup_faces = np.arange(len(soup_vertices)).reshape(-1, 3)
    assert _is_soup(soup_faces, len(soup_vertices))
    assert not _is_soup(soup_faces[::-1], len(soup_vertices))
    assert not _is_soup(soup_faces[:-1], len(soup_vertices))
    vertices, faces = meshgen.indexed(triangles)
    from_soup = weld(soup_vertices, soup_faces)
    from_indexed = weld(vertices, faces)
    assert np.array_equal(from_soup[0], from_indexed[0])
    assert np.array_equal(from_soup[1], from_indexed[1])
    assert from_soup[2] == len(soup_vertices) - len(vertices) and from_indexed[2] == 0


def test_packed_sort_and_select_match_numpy():
    rng = np.random.default_rng(8)
    values = rng.integers(0, 50, 1000)
    order, ordered = packed_sort(values << 10, 10)
    assert np.array_equal(order, np.argsort(values, kind="stable"))
    assert np.array_equal(ordered, np.sort(values))
    mask = rng.random(1000) < 0.5
    selected = _select(mask, values, order)
    assert np.array_equal(selected[0], values[mask]) and np.array_equal(selected[1], order[mask])
