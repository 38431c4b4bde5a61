"""A mutation fuzzer for the part readers: seeds, mutations and a runner that judges outcomes.

Seeds are the shared corpus (when present) and parts generated here in every format. Each case
applies one or more mutations (bit flips, truncation, lying counts, special floats, XML mutations
inside 3MF, duplicated chunks) or is a generated attack (instancing graphs, nested and
many-member archives). The runner reads and analyses the case in this process under a watchdog
and classifies the outcome: a valid analysis or a MeshError are fine; anything else (a
traceback, a hang) is a finding. ``tests/engine/test_fuzz.py`` runs a bounded number of cases
with a fixed seed, ``bench/bench_fuzz.py`` a long run.
"""

import base64
import io
import json
import random
import re
import resource
import signal
import struct
import time
import traceback
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from odm_engine.mesh import errors
from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.geometry import analyse
from odm_engine.mesh.limits import Limits
from odm_engine.mesh.loaders import load_part
from odm_engine.service import analyse_upload
from tests.engine import hostile

# Small enough that a case takes milliseconds, large enough for every reader path; an analysis
# (in the bounded child) gets 5 s and 2 GB, far beyond what these small parts need.
FUZZ_LIMITS = Limits(
    max_triangles=200_000,
    max_instances=20_000,
    max_file_bytes=32 * 2**20,
    analysis_timeout_s=5.0,
    analysis_memory_bytes=2 * 2**30,
)
CASE_SECONDS = 20.0
BOUNDED = (f":{errors.TIME_LIMIT}", f":{errors.MEMORY_LIMIT}")
# Formats read from the corpus as seeds: CAD files are left to the CAD kernel's own child.
SEED_SUFFIXES = (".stl", ".obj", ".3mf", ".ply", ".glb", ".gltf")
SPECIAL_FLOATS = ("nan", "-nan", "inf", "-inf", "1e308", "-1e308", "1e-320", "-0", "1e999")
SPECIAL_BINARY = [np.nan, np.inf, -np.inf, 3.4e38, -3.4e38, 1e-45, 0.0]


class Hang(Exception):
    """The watchdog fired: a case ran longer than ``CASE_SECONDS``."""


@dataclass
class Case:
    name: str  # filename given to the reader (its extension matters for look-alikes)
    data: bytes
    recipe: str  # how it was made, to reproduce a finding


@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    outcomes: Counter = field(default_factory=Counter)
    findings: list = field(default_factory=list)  # (recipe, kind, detail)
    bounded: list = field(default_factory=list)  # recipes the child's limits stopped
    slowest: tuple = (0.0, "")
    peak_rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


# --- Seeds -------------------------------------------------------------------------------------


def _box_mesh(size=(20.0, 12.0, 8.0)):
    vertices = np.array(
        [(x, y, z) for x in (0, size[0]) for y in (0, size[1]) for z in (0, size[2])], float
    )
    faces = np.array(
        [
            (0, 1, 3),
            (0, 3, 2),
            (4, 6, 7),
            (4, 7, 5),
            (0, 4, 5),
            (0, 5, 1),
            (2, 3, 7),
            (2, 7, 6),
            (0, 2, 6),
            (0, 6, 4),
            (1, 5, 7),
            (1, 7, 3),
        ]
    )
    return vertices, faces


def generated_seeds() -> dict[str, bytes]:
    """One small valid part in every format the engine reads (and a .zip of them)."""
    vertices, faces = _box_mesh()
    triangles = vertices[faces]
    records = np.zeros(len(faces), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    records["v"] = triangles
    stl = b"fuzz".ljust(80) + struct.pack("<I", len(faces)) + records.tobytes()
    ascii_stl = "solid s\n" + "".join(
        "facet normal 0 0 0\nouter loop\n"
        + "".join(f"vertex {x} {y} {z}\n" for x, y, z in triangle)
        + "endloop\nendfacet\n"
        for triangle in triangles
    )
    ascii_stl += "endsolid s\n"
    obj = "".join(f"v {x} {y} {z}\n" for x, y, z in vertices) + "".join(
        f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in faces
    )
    header = (
        "ply\nformat {fmt} 1.0\nelement vertex 8\nproperty float x\nproperty float y\n"
        "property float z\nelement face 12\nproperty list uchar int vertex_indices\nend_header\n"
    )
    ply_ascii = header.format(fmt="ascii") + "".join(f"{x} {y} {z}\n" for x, y, z in vertices)
    ply_ascii += "".join(f"3 {a} {b} {c}\n" for a, b, c in faces)
    ply_binary = (
        header.format(fmt="binary_little_endian").encode() + vertices.astype("<f4").tobytes()
    )
    ply_binary += b"".join(struct.pack("<Biii", 3, *face) for face in faces)
    gltf, glb = _gltf_pair(vertices, faces)
    vertex_xml = "".join(f'<vertex x="{x}" y="{y}" z="{z}"/>' for x, y, z in vertices)
    triangle_xml = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in faces)
    objects = [
        f'<object id="1" type="model"><mesh><vertices>{vertex_xml}</vertices>'
        f"<triangles>{triangle_xml}</triangles></mesh></object>",
        '<object id="2" type="model"><components><component objectid="1"/>'
        '<component objectid="1" transform="1 0 0 0 1 0 0 0 1 30 0 0"/></components></object>',
    ]
    threemf = hostile.package_3mf(hostile.model_3mf_xml(objects, ['<item objectid="2"/>']))
    seeds = {
        "box.stl": stl,
        "ascii.stl": ascii_stl.encode(),
        "box.obj": obj.encode(),
        "ascii.ply": ply_ascii.encode(),
        "binary.ply": ply_binary,
        "box.gltf": gltf,
        "box.glb": glb,
        "box.3mf": threemf,
    }
    seeds["parts.zip"] = hostile.zip_of({"a.stl": stl, "b.obj": obj.encode(), "c.3mf": threemf})
    return seeds


def _gltf_pair(vertices, faces) -> tuple[bytes, bytes]:
    positions = vertices.astype("<f4").tobytes()
    indices = faces.astype("<u4").tobytes()
    binary = positions + indices
    document = {
        "asset": {"version": "2.0"},
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "scale": [0.001, 0.001, 0.001]}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(positions)},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices)},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": len(vertices), "type": "VEC3"},
            {"bufferView": 1, "componentType": 5125, "count": faces.size, "type": "SCALAR"},
        ],
    }
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    chunks = struct.pack("<I4s", len(text), b"JSON") + text
    chunks += struct.pack("<I4s", len(binary), b"BIN\x00") + binary
    glb = struct.pack("<4sII", b"glTF", 2, 12 + len(chunks)) + chunks
    inline = dict(document)
    inline["buffers"] = [
        {
            "byteLength": len(binary),
            "uri": "data:application/octet-stream;base64," + base64.b64encode(binary).decode(),
        }
    ]
    return json.dumps(inline).encode(), glb


def corpus_seeds(corpus: Path | None, max_bytes: int = 2 * 2**20) -> dict[str, bytes]:
    """The corpus files the readers (not the CAD kernel) read, up to ``max_bytes`` each."""
    if corpus is None or not corpus.is_dir():
        return {}
    return {
        path.name: path.read_bytes()
        for path in sorted(corpus.iterdir())
        if path.suffix.lower() in SEED_SUFFIXES and path.stat().st_size <= max_bytes
    }


# --- Mutations ---------------------------------------------------------------------------------


def flip_bits(rng: random.Random, data: bytes) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        position = rng.randrange(len(mutated))
        mutated[position] ^= 1 << rng.randrange(8)
    return bytes(mutated)


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def duplicate_chunk(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 4096)]
    at = rng.randrange(len(data) + 1)
    return data[:at] + chunk * rng.randint(1, 4) + data[at:]


_GLTF_NUMBERS = rb"byteLength|byteOffset|byteStride|bufferView|indices|mesh|buffer"
_COUNTS = re.compile(
    rb"(element \w+ |\"count\"\s*:\s*|v[123]=\"|\"(?:" + _GLTF_NUMBERS + rb")\"\s*:\s*)(\d+)"
)


def lie_about_counts(rng: random.Random, data: bytes) -> bytes:
    """Rewrite the counts a file announces: STL's header, PLY elements, glTF and 3MF numbers."""
    lies = [0, 1, 2, 3, 255, 65535, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63, -1, 10**30]
    if len(data) >= 84 and rng.random() < 0.3:
        value = rng.choice([v for v in lies if 0 <= v < 2**32])
        return data[:80] + struct.pack("<I", value) + data[84:]
    matches = list(_COUNTS.finditer(data))
    if not matches:
        return flip_bits(rng, data)
    mutated = data
    for match in reversed(rng.sample(matches, min(len(matches), rng.randint(1, 3)))):
        lie = str(rng.choice(lies)).encode()
        mutated = mutated[: match.start(2)] + lie + mutated[match.end(2) :]
    return mutated


_NUMBER = re.compile(rb"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?|(?<=\")-?\d+(?=\")")


def special_floats(rng: random.Random, data: bytes) -> bytes:
    """NaN, infinities, huge and denormal values, as text in text formats and IEEE in binary."""
    matches = list(_NUMBER.finditer(data[:200_000]))
    if matches and rng.random() < 0.7:
        mutated = data
        for match in reversed(rng.sample(matches, min(len(matches), rng.randint(1, 8)))):
            token = rng.choice(SPECIAL_FLOATS).encode()
            mutated = mutated[: match.start()] + token + mutated[match.end() :]
        return mutated
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        position = rng.randrange(max(len(mutated) - 4, 1))
        mutated[position : position + 4] = struct.pack("<f", rng.choice(SPECIAL_BINARY))
    return bytes(mutated)


_ELEMENT = re.compile(rb"<[A-Za-z][^<>]*/>|<[A-Za-z][^<>]*>")


def mutate_xml(rng: random.Random, xml: bytes) -> bytes:
    """Break a 3MF model's XML in ways a parser must survive."""
    elements = list(_ELEMENT.finditer(xml))
    choice = rng.randrange(8)
    if not elements or choice == 0:
        doctype = rng.choice(
            [
                b'<!DOCTYPE model [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
                b'<!DOCTYPE model [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                b'<!DOCTYPE model SYSTEM "http://127.0.0.1:9/x.dtd">',
            ]
        )
        at = xml.find(b"<model")
        return xml[:at] + doctype + xml[at:] if at >= 0 else doctype + xml
    element = rng.choice(elements)
    if choice == 1:  # delete an element's start tag
        return xml[: element.start()] + xml[element.end() :]
    if choice == 2:  # duplicate it many times
        return xml[: element.end()] + element.group() * rng.randint(2, 500) + xml[element.end() :]
    if choice == 3:  # garbage attribute values
        return re.sub(
            rb'="[^"]*"',
            lambda _m: (
                b'="'
                + rng.choice([b"", b"x", b"-1", b"99999999999999999999", b"1e999", b"nan"])
                + b'"'
            ),
            xml,
            count=rng.randint(1, 50),
        )
    if choice == 4:  # unclosed deep nesting
        return xml[: element.end()] + b"<a>" * rng.randint(10, 5000) + xml[element.end() :]
    if choice == 5:  # components referring to what does not exist, or to themselves
        return xml.replace(
            b'objectid="1"', rng.choice([b'objectid="2"', b'objectid="7"', b'objectid=""'])
        )
    if choice == 6:  # another namespace or unit
        return xml.replace(b'unit="millimeter"', rng.choice([b'unit="parsec"', b'unit=""', b""]))
    return xml[: element.start()] + rng.randbytes(rng.randint(1, 64)) + xml[element.start() :]


def mutate_3mf(rng: random.Random, data: bytes) -> bytes:
    """Re-zip a 3MF with its model XML mutated (and sometimes extra or odd members)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: archive.read(info) for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError):
        return flip_bits(rng, data)
    models = [name for name in members if name.lower().endswith(".model")]
    if models:
        model = rng.choice(models)
        members[model] = mutate_xml(rng, members[model])
    if rng.random() < 0.2:
        members["3D/other.model"] = rng.randbytes(rng.randint(0, 256))
    if rng.random() < 0.1:
        members.pop("_rels/.rels", None)
    return hostile.zip_of(members)


MUTATIONS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "flip_bits": flip_bits,
    "truncate": truncate,
    "duplicate_chunk": duplicate_chunk,
    "lie_about_counts": lie_about_counts,
    "special_floats": special_floats,
}


# --- Generated attacks -------------------------------------------------------------------------


def attack_cases(rng: random.Random, seeds: dict[str, bytes]) -> Case:
    """One generated attack: an instancing graph or a hostile archive."""
    kind = rng.randrange(6)
    levels, fan_out = rng.randint(1, 45), rng.randint(1, 4)
    if kind == 0:
        data = hostile.gltf_instancing_graph(levels, fan_out)
        return Case("graph.gltf", data, f"gltf_graph({levels}, {fan_out})")
    if kind == 1:
        leaf = rng.random() < 0.5
        data = hostile.threemf_instancing_graph(levels, fan_out, leaf_triangles=leaf)
        return Case("graph.3mf", data, f"3mf_graph({levels}, {fan_out}, {leaf})")
    if kind == 2:  # many members, some of them zeros
        count = rng.choice([2, 50, 101, 1000, 5000])
        size = rng.choice([0, 1, 1024, 65536])
        return Case(
            "many.zip", hostile.zip_of_copies(count, bytes(size)), f"zip_of_copies({count}, {size})"
        )
    if kind == 3:  # archives in archives
        inner = hostile.zip_of(dict(list(seeds.items())[:3]))
        data = inner
        for depth in range(rng.randint(1, 4)):
            data = hostile.zip_of({f"level{depth}.zip": data})
        return Case("nested.zip", data, "nested zips")
    if kind == 4:  # a zip of mutated members
        name, seed = rng.choice(sorted(seeds.items()))
        members = {f"{i}-{name}": _mutate(rng, name, seed)[0] for i in range(rng.randint(1, 5))}
        return Case("mutated.zip", hostile.zip_of(members), f"zip of mutated {name}")
    # a 3MF in a zip with a 3MF-looking .zip name, or a zip named as a part
    name, seed = rng.choice(sorted(seeds.items()))
    return Case(
        rng.choice(["part.stl", "part.3mf", "x.zip"]),
        hostile.zip_of({name: seed}),
        f"zip({name}) renamed",
    )


def _mutate(rng: random.Random, name: str, data: bytes) -> tuple[bytes, str]:
    steps = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not data:
            break
        if name.lower().endswith(".3mf") and rng.random() < 0.5:
            data, step = mutate_3mf(rng, data), "mutate_3mf"
        else:
            step = rng.choice(sorted(MUTATIONS))
            data = MUTATIONS[step](rng, data)
        steps.append(step)
    return data, "+".join(steps) or "none"


def cases(seed: int, seeds: dict[str, bytes]) -> Iterator[Case]:
    """An endless, reproducible stream of cases: mostly mutations, one in six an attack."""
    rng = random.Random(seed)
    names = sorted(seeds)
    index = 0
    while True:
        index += 1
        if rng.random() < 1 / 6:
            case = attack_cases(rng, seeds)
        else:
            name = rng.choice(names)
            data, steps = _mutate(rng, name, seeds[name])
            case = Case(name, data, f"{name}: {steps}")
        case.recipe = f"seed {seed} case {index}: {case.recipe}"
        yield case


# --- Running -----------------------------------------------------------------------------------


@contextmanager
def watchdog(seconds: float):
    """Raise Hang in this (main) thread when a case runs longer than ``seconds``."""

    def fire(_signum, _frame):
        raise Hang()

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(case: Case, limits: Limits = FUZZ_LIMITS) -> str:
    """'ok', 'refused:<code>' — or raise: anything else is a finding.

    The readers run here, so that a traceback or a hang in them is seen as such; a file they
    accept is analysed as production analyses it, in the bounded child, where a pathological
    geometry ends in ``time_limit`` or ``memory_limit`` (counted as bounded, listed in the
    report) and a bug in ``analysis_failed``, which is then reproduced here for its traceback.
    """
    if case.name.lower().endswith(".zip"):
        outcomes = []
        batch = UploadBatch([(case.name, case.data)], limits)
        for name, data in batch:
            try:
                outcomes.append(run_case(Case(name, data, case.recipe), limits))
            except MeshError as error:
                outcomes.append(f"refused:{error.code}")
        bounded = [outcome for outcome in outcomes if outcome.endswith(BOUNDED)]
        return bounded[0] if bounded else "ok" if set(outcomes) == {"ok"} else "refused:member"
    load_part(case.data, case.name, limits=limits)
    try:
        analysed = analyse_upload(case.data, case.name, limits=limits, thumbnail_size=None)
    except MeshError as error:
        if error.code == errors.ANALYSIS_FAILED:
            analyse(load_part(case.data, case.name, limits=limits))
        raise
    json.dumps(analysed.analysis)  # a result must be plain data
    return "ok"


def fuzz(stream: Iterator[Case], budget_cases: int, budget_seconds: float) -> Report:
    """Run cases until either budget is spent; every outcome counted, every finding kept."""
    report = Report()
    started = time.perf_counter()
    for case in stream:
        if report.cases >= budget_cases or time.perf_counter() - started >= budget_seconds:
            break
        case_started = time.perf_counter()
        try:
            with watchdog(CASE_SECONDS), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # NaN casts: refused, not news
                try:
                    outcome = run_case(case)
                except MeshError as error:
                    outcome = f"refused:{error.code}"
        except Hang:
            outcome = "hang"
            report.findings.append((case.recipe, "hang", f"> {CASE_SECONDS} s"))
        except Exception as exc:  # the point of fuzzing: anything else is a finding
            outcome = f"traceback:{type(exc).__name__}"
            report.findings.append((case.recipe, "traceback", traceback.format_exc()))
        if outcome.endswith(BOUNDED):
            report.bounded.append(case.recipe)
        elapsed = time.perf_counter() - case_started
        if elapsed > report.slowest[0]:
            report.slowest = (elapsed, case.recipe)
        report.outcomes[outcome] += 1
        report.cases += 1
    report.seconds = time.perf_counter() - started
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report
