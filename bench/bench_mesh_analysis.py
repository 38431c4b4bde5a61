"""Benchmark: full mesh analysis of odm_engine against the plain trimesh way.

Run from the repository root:

    .odm/venv/bin/python -m bench.bench_mesh_analysis [--sizes 10000 100000 1000000]

It writes bumpy spheres of the requested triangle counts as binary STL into a temporary folder,
times ``load_part`` + ``analyse`` (every metric of the Analysis) and a trimesh baseline computing
a subset of the same metrics with trimesh's own calls (load, volume, area, bounds, oriented box,
convex hull volume, split, watertightness, overhang area, support heights and wall thickness by
its ray engine on the same number of sample points), prints a table and rewrites
``docs/benchmarks/mesh_analysis.md``. Everything runs on one core (BLAS threads pinned to 1).
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402 - thread pinning must precede numpy
import datetime  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import trimesh  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


from bench.host import cpu_model  # noqa: E402
from odm_engine.mesh.geometry import DEFAULT_SAMPLES, analyse  # noqa: E402
from odm_engine.mesh.hull import EXACT_HULL_POINTS, HULL_TOLERANCE  # noqa: E402
from odm_engine.mesh.loaders import load_part  # noqa: E402

REPORT = REPO / "docs" / "benchmarks" / "mesh_analysis.md"
OVERHANG_SINE = np.sin(np.radians(45.0))


def bumpy_sphere(triangles: int) -> np.ndarray:
    """(n, 3, 3) triangles of a closed, smoothly bumped sphere (a cube grid pushed outward)."""
    steps = max(2, round(np.sqrt(triangles / 12)))
    grid = np.linspace(-1.0, 1.0, steps + 1)
    u, v = np.meshgrid(grid, grid, indexing="ij")
    patches = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            cube = np.empty((*u.shape, 3))
            cube[..., axis] = sign
            cube[..., (axis + 1) % 3] = u * sign
            cube[..., (axis + 2) % 3] = v
            patches.append(cube)
    cube = np.stack(patches)
    direction = cube / np.linalg.norm(cube, axis=-1, keepdims=True)
    x, y, z = direction[..., 0], direction[..., 1], direction[..., 2]
    radius = 40.0 * (1 + 0.1 * np.sin(6 * x) * np.sin(5 * y) * np.sin(4 * z) + 0.05 * np.cos(7 * z))
    points = direction * radius[..., None]
    a, b = points[:, :-1, :-1], points[:, 1:, :-1]
    c, d = points[:, 1:, 1:], points[:, :-1, 1:]
    return np.concatenate(
        [np.stack([a, b, c], -2).reshape(-1, 3, 3), np.stack([a, c, d], -2).reshape(-1, 3, 3)]
    )


def write_binary_stl(path: Path, triangles: np.ndarray) -> None:
    record = np.zeros(len(triangles), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    record["v"] = triangles
    with open(path, "wb") as handle:
        handle.write(b"odm bench".ljust(80, b" "))
        handle.write(np.uint32(len(triangles)).tobytes())
        handle.write(record.tobytes())


def ours(path: Path) -> dict:
    return analyse(load_part(path)).to_dict()


def ours_with_layers(path: Path) -> dict:
    """What an upload costs: the analysis with the FDM layer table instant quotes price from."""
    return analyse(load_part(path), fdm_layers=True).to_dict()


def trimesh_way(path: Path, samples: int = DEFAULT_SAMPLES) -> dict:
    mesh = trimesh.load(path, force="mesh")
    result = {
        "volume": mesh.volume,
        "area": mesh.area,
        "bounds": mesh.bounds,
        "obb": mesh.bounding_box_oriented.extents,
        "hull_volume": mesh.convex_hull.volume,
        "bodies": len(mesh.split(only_watertight=False, repair=False)),
        "watertight": mesh.is_watertight,
    }
    up = np.array([0.0, 0.0, 1.0])
    downward = -(mesh.face_normals @ up)
    overhang = downward > OVERHANG_SINE
    result["overhang_area"] = float(mesh.area_faces[overhang].sum())
    points, face_index = trimesh.sample.sample_surface_even(mesh, samples, seed=1)
    normals = mesh.face_normals[face_index]
    hanging = -(normals @ up) > OVERHANG_SINE
    offset = 1e-6 * mesh.scale
    heights = mesh.ray.intersects_first(
        points[hanging] - up * offset, np.tile(-up, (hanging.sum(), 1))
    )
    result["support_rays"] = int(hanging.sum())
    walls = mesh.ray.intersects_first(points - normals * offset, -normals)
    result["wall_hits"] = int((walls >= 0).sum()) + int((heights >= 0).sum())
    return result


def best_of(function, path: Path, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs.

    CPU time is what a run costs its one core; on a machine shared with other work the wall
    clock also counts the time other processes held it.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function(path)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def machine_note() -> str:
    cpu = cpu_model()
    engine = type(trimesh.creation.box().ray).__module__.rsplit(".", 1)[-1]
    return (
        f"{cpu}, {os.cpu_count()} cores (benchmark pinned to one), "
        f"Python {platform.python_version()}, "
        f"numpy {np.__version__}, trimesh {trimesh.__version__} (ray engine: {engine}); "
        f"load average {os.getloadavg()[0]:.1f} when it ended (other work sharing the cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of our analysis, best kept")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite the markdown")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"sphere_{size}.stl"
            triangles = bumpy_sphere(size)
            write_binary_stl(path, triangles)
            ours_s, ours_cpu = best_of(ours, path, args.repeat)
            _, layers_cpu = best_of(ours_with_layers, path, args.repeat)
            baseline_s, _ = best_of(trimesh_way, path, 1)
            rows.append((len(triangles), ours_s, ours_cpu, layers_cpu, baseline_s))
            print(
                f"{len(triangles):>10,} triangles  ours {ours_s:7.3f} s (CPU {ours_cpu:.3f} s, "
                f"with the FDM layer table {layers_cpu:.3f} s)  "
                f"trimesh {baseline_s:7.3f} s  x{baseline_s / ours_s:5.1f}",
                flush=True,
            )
    table = [
        "| triangles | odm_engine (s) | its CPU time (s) | with the FDM layer table, CPU (s) "
        "| trimesh way (s) | speed-up |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    table += [
        f"| {n:,} | {o:.3f} | {c:.3f} | {f:.3f} | {b:.3f} | {b / o:.1f}x |"
        for n, o, c, f, b in rows
    ]
    print("\n".join(table))
    if not args.no_report:
        write_report(table, args.repeat)


def write_report(table: list[str], repeat: int) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        "# Mesh analysis benchmark\n\n"
        "Command (from the repository root):\n\n"
        "    .odm/venv/bin/python -m bench.bench_mesh_analysis\n\n"
        "Input: smoothly bumped spheres (closed, one body, not convex) written as binary STL.\n"
        "*odm_engine* times `load_part` + `analyse`, i.e. every metric of the Analysis\n"
        "(repair, volume, area, boxes, convex hull, bodies, walls, gaps, small features,\n"
        "6-18 candidate build orientations with support volumes, moulding pull directions,\n"
        "CNC setups, pockets and edges). *trimesh way* computes a subset with trimesh's own\n"
        "calls: `trimesh.load`, volume, area, bounds, `bounding_box_oriented`,\n"
        "`convex_hull.volume`, `split()`, `is_watertight`, overhang area, and support heights\n"
        f"plus wall thickness by its ray engine on {DEFAULT_SAMPLES} samples. Best of {repeat}\n"
        "runs for ours, one for trimesh; BLAS pinned to one thread, so CPU time is time on one\n"
        "core (the wall clock also counts other work sharing the machine; under a load\n"
        "average of 4 or more even the CPU time of the same code varies by up to a quarter\n"
        "from run to run, as the cores' caches are shared). The issue's\n"
        "target at one million triangles is at most 1.5 s and at least 5x the trimesh way.\n"
        f"Above {EXACT_HULL_POINTS:,} vertices the convex hull is computed to within\n"
        f"{HULL_TOLERANCE:g} of the part diagonal (see odm_engine.mesh.hull).\n"
        "*With the FDM layer table* is the same analysis as uploads run it\n"
        "(`analyse(part, fdm_layers=True)`: the part also sectioned every 0.1 mm for the\n"
        "instant FDM estimate; its own cost and the same-run baseline are in\n"
        "docs/benchmarks/fdm_estimate.md, section Speed).\n\n"
        + "\n".join(table)
        + f"\n\nMachine: {machine_note()}.\n\nLast run: {datetime.date.today().isoformat()}.\n"
    )


if __name__ == "__main__":
    main()
