"""The ray caster's cutting of long faces must give exactly the pieces plain recursion gives."""

import numpy as np

from odm_engine.mesh.raycast import SPLIT_ABOVE, SPLIT_BUDGET, MeshBVH
from odm_engine.mesh.repair import clean_mesh
from tests.engine.shapes import faceted_tube, stl_part


def _plain_pieces(large: list, target: float, budget: int) -> list:
    """(face, corners) pieces: round by round, every piece wider than ``target`` has its first
    longest edge halved, until none is left or a round has spent the budget of cuts."""
    done, pending = [], large
    while pending and budget > 0:
        budget -= len(pending)
        halves = []
        for face, corners in pending:
            edges = np.roll(corners, -1, axis=0) - corners
            longest = int(np.argmax(np.einsum("ij,ij->i", edges, edges)))
            a, b, c = (corners[(longest + k) % 3] for k in range(3))
            middle = (a + b) / 2
            halves += [(face, np.array([a, middle, c])), (face, np.array([middle, b, c]))]
        done += [(face, piece) for face, piece in halves if np.ptp(piece, axis=0).max() <= target]
        pending = [(face, piece) for face, piece in halves if np.ptp(piece, axis=0).max() > target]
    return done + pending


def test_long_faces_are_cut_as_plain_recursion_cuts_them():
    part = stl_part(faceted_tube(), "tube.stl")
    mesh = clean_mesh(part.vertices, part.faces, part.indexed, part.vertex_bounds)
    tracer = MeshBVH(mesh.vertices, mesh.faces, vertex_bounds=mesh.bounds)
    face_low, face_high = tracer._face_boxes()
    reference, piece_low, piece_high, piece_centre = tracer._split_large(face_low, face_high)
    target = SPLIT_ABOVE * float(np.median((face_high - face_low).max(axis=0)))
    extent = (face_high - face_low).max(axis=0)
    corners = mesh.vertices[mesh.faces] - tracer.low
    large = [(face, corners[face]) for face in np.flatnonzero(extent > target)]
    expected = [
        (face, *piece.min(axis=0).astype(np.float32), *piece.mean(axis=0))
        for face, piece in _plain_pieces(large, target, SPLIT_BUDGET * len(mesh.faces))
    ]
    cut = np.flatnonzero(np.bincount(reference, minlength=len(mesh.faces))[reference] > 1)
    assert len(expected) > len(mesh.faces)  # the tube's slivers are cut, many times over
    actual = [
        (int(reference[k]), *piece_low[:, k], *piece_centre[k])
        for k in range(len(reference))
        if k in set(cut.tolist())
    ]
    assert sorted(actual) == sorted(expected)
    assert np.all(piece_high >= piece_low)
