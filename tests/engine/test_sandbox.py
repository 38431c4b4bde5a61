"""The bounded child every analysis runs in: plain data back, time and memory held to the
configured bounds, and a zygote that survives threads, forks and its own death."""

import os
import statistics
import threading
import time

import pytest
import trimesh

from odm_engine.mesh import errors, sandbox
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits
from odm_engine.service import analyse_in_process, analyse_upload


@pytest.fixture(scope="module")
def sphere_stl():
    """82k triangles: a few hundred milliseconds and a few hundred megabytes to analyse."""
    return trimesh.creation.icosphere(subdivisions=6, radius=20.0).export(file_type="stl")


@pytest.fixture(scope="module")
def cube_stl(meshgen):
    return meshgen.stl(meshgen.box((20.0, 20.0, 20.0)))


def test_the_child_answers_what_the_engine_computes_here(cube_stl):
    bounded = analyse_upload(cube_stl, "cube.stl", unit="mm")
    here = analyse_in_process(cube_stl, "cube.stl", unit="mm")
    assert bounded.analysis == here.analysis
    assert bounded.analysis["volume_mm3"] == pytest.approx(8000)
    assert bounded.thumbnail_png == here.thumbnail_png and bounded.thumbnail_png[:4] == b"\x89PNG"


def test_a_refusal_comes_back_with_its_code_and_sentence():
    with pytest.raises(MeshError) as caught:
        analyse_upload(b"%PDF-1.7\n" + b"x" * 200, "drawing.pdf")
    assert caught.value.code == errors.UNKNOWN_FORMAT and "PDF" in caught.value.message


def test_an_analysis_past_its_time_is_stopped(sphere_stl):
    started = time.perf_counter()
    with pytest.raises(MeshError) as caught:
        analyse_upload(sphere_stl, "sphere.stl", limits=Limits(analysis_timeout_s=0.05))
    assert caught.value.code == errors.TIME_LIMIT
    assert "0.05 s" in caught.value.message
    assert time.perf_counter() - started < 1.5


def test_an_analysis_past_its_memory_is_stopped(sphere_stl):
    with pytest.raises(MeshError) as caught:
        analyse_upload(sphere_stl, "sphere.stl", limits=Limits(analysis_memory_bytes=300 * 2**20))
    assert caught.value.code in (errors.MEMORY_LIMIT, errors.ANALYSIS_FAILED)
    assert "300 MB" in caught.value.message


def test_the_zygote_is_started_again_when_it_dies(cube_stl):
    analyse_upload(cube_stl, "cube.stl", thumbnail_size=None)
    zygote = sandbox._zygote().process
    zygote.kill()
    zygote.wait()
    assert analyse_upload(cube_stl, "cube.stl", thumbnail_size=None).analysis["triangles"] == 12
    assert sandbox._zygote().process.pid != zygote.pid


def test_concurrent_requests_of_a_threaded_server(cube_stl, sphere_stl):
    """A slow file does not hold the others back: every thread has its own child."""
    results = {}

    def analyse(name, data, limits):
        try:
            results[name] = analyse_upload(data, name, limits=limits, thumbnail_size=None)
        except MeshError as error:
            results[name] = error

    threads = [
        threading.Thread(
            target=analyse, args=("slow.stl", sphere_stl, Limits(analysis_timeout_s=0.05))
        )
    ]
    threads += [
        threading.Thread(target=analyse, args=(f"{i}.stl", cube_stl, Limits())) for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(results.pop("slow.stl"), MeshError)
    assert [result.analysis["triangles"] for result in results.values()] == [12] * 4


def test_a_forked_worker_starts_its_own_zygote(cube_stl):
    """Odoo's prefork workers are forked from a parent that may already have one."""
    analyse_upload(cube_stl, "cube.stl", thumbnail_size=None)
    parent_zygote = sandbox._zygote().process.pid
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        status = 1
        try:
            os.close(reader)
            triangles = analyse_upload(cube_stl, "c.stl", thumbnail_size=None).analysis["triangles"]
            mine = sandbox._zygote().process.pid
            os.write(writer, f"{triangles} {mine}".encode())
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    with os.fdopen(reader) as answer:
        triangles, worker_zygote = answer.read().split()
    _, status = os.waitpid(pid, 0)
    assert status == 0 and triangles == "12" and int(worker_zygote) != parent_zygote
    assert analyse_upload(cube_stl, "cube.stl", thumbnail_size=None).analysis["triangles"] == 12


def test_added_latency_on_a_small_part_is_small(cube_stl):
    analyse_upload(cube_stl, "cube.stl")  # the zygote is warm

    def median(function):
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            function(cube_stl, "cube.stl")
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)

    added = median(analyse_upload) - median(analyse_in_process)
    assert added < 0.25, f"the bounded child adds {added * 1000:.0f} ms"
