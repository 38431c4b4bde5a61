"""Generated parts with known geometry, analysed by the quoting engine, for engine tests."""

import itertools

import numpy as np
import trimesh

from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.loaders import load_part


def box_analysis(x, y, z):
    """The quoting engine's analysis of a box of these extents (mm)."""
    mesh = trimesh.creation.box(extents=(x, y, z))
    return analyse(load_part(mesh.export(file_type="stl"), "box.stl", unit="mm")).to_dict()


def stl_part(triangles: np.ndarray, filename: str):
    """The loaded part of (n, 3, 3) triangles written as a binary STL."""
    corners = np.arange(3 * len(triangles)).reshape(-1, 3)
    mesh = trimesh.Trimesh(triangles.reshape(-1, 3), corners, process=False)
    return load_part(mesh.export(file_type="stl"), filename)


def faceted_tube(sides: int = 96, rings: int = 10) -> np.ndarray:
    """A tube as CAD exports it: each side a long sliver pair among the small quads of finely
    divided ends (the ray caster's hierarchy cuts such slivers into pieces)."""
    turn = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    ring = np.column_stack([np.cos(turn), np.sin(turn), np.zeros(sides)])
    following = np.roll(ring, -1, axis=0)
    up = np.array([0.0, 0.0, 40.0])
    quads = [
        (20 * ring, 20 * following, 20 * following + up, 20 * ring + up),  # outside
        (15 * following, 15 * ring, 15 * ring + up, 15 * following + up),  # bore
    ]
    radii = np.linspace(15.0, 20.0, rings + 1)
    for inner, outer in itertools.pairwise(radii):
        quads.append(
            (outer * ring + up, outer * following + up, inner * following + up, inner * ring + up)
        )  # top
        quads.append((inner * ring, inner * following, outer * following, outer * ring))  # bottom
    triangles = [np.stack([a, b, c], 1) for a, b, c, _ in quads]
    triangles += [np.stack([a, c, d], 1) for a, _, c, d in quads]
    return np.concatenate(triangles)


def frustum(base: float, top: float, height: float) -> np.ndarray:
    """Triangles of a square frustum standing on its base (sides of base, top: centred)."""
    low, high = base / 2, top / 2
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    bottom = [(x * low, y * low, 0.0) for x, y in corners]
    lid = [(x * high, y * high, height) for x, y in corners]
    faces = [(bottom[0], bottom[2], bottom[1]), (bottom[0], bottom[3], bottom[2])]
    faces += [(lid[0], lid[1], lid[2]), (lid[0], lid[2], lid[3])]
    for k in range(4):
        a, b = bottom[k], bottom[(k + 1) % 4]
        c, d = lid[(k + 1) % 4], lid[k]
        faces += [(a, b, c), (a, c, d)]
    return np.array(faces, dtype=np.float64)
