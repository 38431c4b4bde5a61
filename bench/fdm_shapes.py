"""Generated test parts for the instant FDM / SLA estimate benchmarks, kept as code.

Simple shapes are where a customer checks a quote by hand, and where a volume-based formula
was furthest off: rods, thin walls, hollow boxes, cones, pyramids, plates from 0.2 to 2 mm,
tori, tiny screws, large blocks, parts with overhangs that need support and layers with many
islands. Every shape is one closed, outward-facing surface (or several that do not overlap), in
millimetres, standing on z = 0 as it should be printed.

``write_all(folder)`` writes them as binary STL and returns the paths.
"""

from pathlib import Path

import numpy as np
import trimesh
import trimesh.creation as create


def _box(x: float, y: float, z: float, at=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    box = create.box((x, y, z))
    box.apply_translation(np.add(at, (0.0, 0.0, z / 2)))
    return box


def _revolved(profile, sections: int = 96) -> trimesh.Trimesh:
    """A solid of revolution about Z from a (radius, z) outline running up from the axis."""
    return create.revolve(np.asarray(profile, dtype=float), sections=sections)


def _joined(*meshes: trimesh.Trimesh) -> trimesh.Trimesh:
    return trimesh.util.concatenate(list(meshes))


def hollow_box(size: float, wall: float) -> trimesh.Trimesh:
    """A closed cube with a sealed cubic cavity (walls ``wall`` thick all round)."""
    outer = _box(size, size, size)
    inner = _box(size - 2 * wall, size - 2 * wall, size - 2 * wall, at=(0, 0, wall))
    inner.invert()
    return _joined(outer, inner)


def tiny_screw(diameter: float = 3.0, length: float = 8.0, pitch: float = 0.5):
    """An M3-like screw: a hex-ish head and a shank with ring threads (a revolved zigzag)."""
    core, crest = diameter / 2 - 0.3, diameter / 2
    profile = [(0.0, 0.0), (2.75, 0.0), (2.75, 2.5), (crest, 2.5)]
    z = 2.5
    while z + pitch <= 2.5 + length:
        profile += [(core, z + pitch / 2), (crest, z + pitch)]
        z += pitch
    profile += [(0.0, z)]
    return _revolved(profile, sections=48)


def mushroom() -> trimesh.Trimesh:
    """A 6 mm stem under a 40 mm flat cap: the cap overhangs and needs support."""
    return _revolved([(0, 0), (3, 0), (3, 20), (20, 20), (20, 24), (0, 24)])


def funnel() -> trimesh.Trimesh:
    """An upside-down cone on a short foot: its underside overhangs at 30 degrees."""
    rise = 17 * np.tan(np.radians(30))
    return _revolved([(0, 0), (5, 0), (5, 3), (22, 3 + rise), (22, 6 + rise), (0, 6 + rise)])


def pins(count: int = 3, diameter: float = 4.0, height: float = 20.0, step: float = 12.0):
    """``count`` x ``count`` separate pins: many islands on every layer."""
    return _joined(
        *(
            create.cylinder(
                radius=diameter / 2,
                height=height,
                sections=32,
                transform=trimesh.transformations.translation_matrix(
                    (i * step, j * step, height / 2)
                ),
            )
            for i in range(count)
            for j in range(count)
        )
    )


def shapes() -> dict[str, trimesh.Trimesh]:
    """Every generated part by name."""
    cone = create.cone(radius=20, height=40, sections=96)
    pyramid = create.cone(radius=40 / np.sqrt(2), height=30, sections=4)
    torus = create.torus(20, 6, major_sections=96, minor_sections=32)
    torus.apply_translation((0, 0, 6))
    sphere = create.icosphere(subdivisions=4, radius=15)
    sphere.apply_translation((0, 0, 15))
    tube = create.annulus(r_min=13, r_max=15, height=40, sections=96)
    tube.apply_translation((0, 0, 20))
    cylinder = create.cylinder(radius=4, height=40, sections=64)
    cylinder.apply_translation((0, 0, 20))
    parts = {
        "rod_5x5x61": _box(5, 5, 61),
        "rod_d8x40": cylinder,
        "wall_1x40x30": _box(1, 40, 30),
        "wall_2x60x20": _box(2, 60, 20),
        "hollow_cube_50_w2": hollow_box(50, 2),
        "hollow_cube_20_w1.2": hollow_box(20, 1.2),
        "tube_d30_w2_h40": tube,
        "cone_d40_h40": cone,
        "pyramid_40_h30": pyramid,
        "plate_60x40x0.2": _box(60, 40, 0.2),
        "plate_60x40x0.3": _box(60, 40, 0.3),
        "plate_60x40x0.6": _box(60, 40, 0.6),
        "plate_60x40x1": _box(60, 40, 1.0),
        "plate_60x40x2": _box(60, 40, 2.0),
        "torus_r20_r6": torus,
        "sphere_d30": sphere,
        "screw_m3x8": tiny_screw(),
        "cube_10": _box(10, 10, 10),
        "block_40x30x10": _box(40, 30, 10),
        "block_120x80x40": _box(120, 80, 40),
        "mushroom_cap40": mushroom(),
        "funnel_30deg": funnel(),
        "pins_3x3": pins(),
    }
    # Place every part with its lowest point on the plate.
    for mesh in parts.values():
        mesh.apply_translation((0, 0, -mesh.bounds[0][2]))
    return parts


def write_all(folder: Path) -> list[Path]:
    """Writes every generated part as ``<name>.stl`` in ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, mesh in shapes().items():
        path = folder / f"{name}.stl"
        mesh.export(path, file_type="stl")
        paths.append(path)
    return paths
