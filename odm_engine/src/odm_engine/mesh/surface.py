"""The measured surface that geometric metrics query: normals, areas, samples and a ray grid.

Ray-based metrics (wall thickness, support height, visibility, tool access) are estimated on a
bounded number of surface points so their cost does not grow with the triangle count. Points are
placed by systematic sampling along the cumulative face area (each point stands for the same
area, so an area estimate is off by at most one point's share per region boundary) and spread
inside each face by an R2 low-discrepancy sequence. No random generator is involved: the same
file always gives the same quote.
"""

from dataclasses import dataclass, replace

import numpy as np

from odm_engine.mesh.hull import Hull, supporting_faces
from odm_engine.mesh.raycast import MIN_DISTANCE, MeshBVH
from odm_engine.mesh.repair import CleanMesh

# Additive recurrence constants of the R2 low-discrepancy sequence (plastic number).
_R2 = (0.7548776662466927, 0.5698402909980532)
# A face is on the hull boundary if nothing of the hull rises above its plane by more than this
# fraction of the part diagonal; the part itself may rise by that plus the hull's own tolerance
# (times HULL_CORNER_FACTOR: qhull bounds a point's height above each hull facet's plane, and
# above a plane through a hull corner where facets meet at up to 150 degrees that is at most
# 1 / cos(75 degrees) = 3.9 times as much). A ray leaving such a face at a cosine of at least
# ESCAPE_COS is above all of the part beyond that rise divided by the cosine: for an exact hull,
# no further than the ray caster's minimum distance, so it need not be cast at all.
HULL_TOLERANCE = 1e-8
HULL_CORNER_FACTOR = 4.0
ESCAPE_COS = 0.1


@dataclass(frozen=True)
class SurfaceSamples:
    points: np.ndarray  # (n, 3)
    faces: np.ndarray  # (n,) face each point lies on
    normals: np.ndarray  # (n, 3) outward unit normal of that face
    area_each: float  # surface area each point stands for, mm2
    # (n,) the point's face lies on the convex hull's boundary: a ray leaving it outward can
    # meet the part only within ``reach``.
    on_hull: np.ndarray | None = None
    hull_rise: float = 0.0  # how far the part may rise above the plane of an on-hull face, mm
    ray_start: float = 0.0  # the ray caster's minimum distance, mm

    def __len__(self) -> int:
        return len(self.faces)

    def reach(self, cosines: np.ndarray) -> np.ndarray:
        """How far rays leaving the samples at these cosines to their normals may meet the part.

        ``cosines`` is (n,) or (n, k). Infinite unless the sample lies on the hull boundary and
        the ray climbs away from its face by at least ``ESCAPE_COS``; then the ray is above
        everything of the part beyond ``hull_rise / cosine`` (see ``HULL_TOLERANCE``).
        """
        on_hull = self.on_hull if self.on_hull is not None else np.zeros(len(self), dtype=bool)
        climbing = (cosines >= ESCAPE_COS) & (on_hull if cosines.ndim == 1 else on_hull[:, None])
        return np.where(climbing, self.hull_rise / np.maximum(cosines, ESCAPE_COS), np.inf)


@dataclass(frozen=True)
class Surface:
    mesh: CleanMesh
    normals: np.ndarray  # (m, 3) unit face normals (zero for degenerate faces)
    areas: np.ndarray  # (m,) face areas, mm2
    hull: Hull
    samples: SurfaceSamples
    grid: MeshBVH
    normals32: np.ndarray | None = None  # (3, m) float32 normal components, for bulk tests

    @property
    def vertices(self) -> np.ndarray:
        return self.mesh.vertices

    @property
    def faces(self) -> np.ndarray:
        return self.mesh.faces

    @property
    def diagonal(self) -> float:
        return self.grid.diagonal

    @property
    def total_area(self) -> float:
        return float(self.areas.sum())

    def heights(self, direction: np.ndarray) -> tuple[float, float]:
        """Lowest and highest point of the part along ``direction``."""
        along = self.hull.points @ direction
        return float(along.min()), float(along.max())


def build_surface(mesh: CleanMesh, normals, areas, hull: Hull, sample_count: int) -> Surface:
    vertices, faces = mesh.vertices, mesh.faces
    samples = sample_surface(vertices, faces, areas, normals, sample_count)
    tracer = MeshBVH(vertices, faces, vertex_bounds=mesh.bounds)
    on_hull = supporting_faces(
        hull, vertices, faces[samples.faces], samples.normals, HULL_TOLERANCE * tracer.diagonal
    )
    samples = replace(
        samples,
        on_hull=on_hull,
        hull_rise=HULL_TOLERANCE * tracer.diagonal + HULL_CORNER_FACTOR * hull.tolerance,
        ray_start=MIN_DISTANCE * tracer.diagonal,
    )
    normals32 = np.ascontiguousarray(normals.T, dtype=np.float32)
    return Surface(mesh, normals, areas, hull, samples, tracer, normals32)


def sample_surface(
    vertices: np.ndarray, faces: np.ndarray, areas: np.ndarray, normals: np.ndarray, count: int
) -> SurfaceSamples:
    cumulative = np.cumsum(areas)
    total = float(cumulative[-1])
    positions = (np.arange(count) + 0.5) * (total / count)
    chosen = np.minimum(np.searchsorted(cumulative, positions, side="right"), len(faces) - 1)
    index = np.arange(count)
    u = (0.5 + _R2[0] * index) % 1.0
    v = (0.5 + _R2[1] * index) % 1.0
    outside = u + v > 1.0
    u[outside], v[outside] = 1.0 - u[outside], 1.0 - v[outside]
    corners = vertices[faces[chosen]]
    points = (
        corners[:, 0]
        + u[:, None] * (corners[:, 1] - corners[:, 0])
        + v[:, None] * (corners[:, 2] - corners[:, 0])
    )
    return SurfaceSamples(points, chosen, normals[chosen], total / count)
