"""Mutation fuzzing in the suite: a fixed seed and a bounded number of cases, so that CI runs the
same cases every time in well under a minute; ``bench/bench_fuzz.py`` runs the long campaign.

Every case must end in a valid analysis or a MeshError with a sentence: no traceback, no hang
(a watchdog stops a case after ``fuzzing.CASE_SECONDS``), and memory stays bounded.
"""

import pytest

from odm_engine.mesh import errors
from odm_engine.mesh.errors import MeshError
from odm_engine.service import analyse_upload
from tests.engine import fuzzing

SEED = 20261207
# Seeds larger than this are left to the long run: they cost seconds per mutated analysis.
CI_SEED_BYTES = 256 * 1024
PEAK_MEMORY_MB = 1500


def _judge(report: fuzzing.Report) -> None:
    findings = "\n\n".join(
        f"{recipe} [{kind}]\n{detail}" for recipe, kind, detail in report.findings
    )
    assert not report.findings, findings
    assert report.peak_rss_mb < PEAK_MEMORY_MB
    refusals = sum(
        count for outcome, count in report.outcomes.items() if outcome.startswith("refused")
    )
    assert report.outcomes["ok"] and refusals  # the mutations reach past the first check


def test_fuzz_generated_parts_of_every_format():
    report = fuzzing.fuzz(fuzzing.cases(SEED, fuzzing.generated_seeds()), 500, 120)
    assert report.cases == 500
    _judge(report)


def test_fuzz_the_shared_corpus(corpus):
    seeds = {
        name: data
        for name, data in fuzzing.corpus_seeds(corpus).items()
        if len(data) <= CI_SEED_BYTES
    }
    report = fuzzing.fuzz(fuzzing.cases(SEED, seeds), 120, 120)
    assert report.cases == 120
    _judge(report)


def test_fuzz_cases_through_the_bounded_child_alone():
    """What the portal does with a hostile file: the child answers, never with a bug."""
    stream = fuzzing.cases(SEED + 1, fuzzing.generated_seeds())
    codes = []
    for case in [next(stream) for _ in range(40)]:
        if case.name.lower().endswith(".zip"):
            continue
        try:
            analyse_upload(case.data, case.name, limits=fuzzing.FUZZ_LIMITS, thumbnail_size=None)
            codes.append("ok")
        except MeshError as error:
            codes.append(error.code)
    assert errors.ANALYSIS_FAILED not in codes and errors.TIME_LIMIT not in codes
    assert len(codes) > 20


@pytest.mark.parametrize("levels", [20, 30])
def test_instancing_graph_attacks_end_in_a_refusal(levels):
    for case in (
        fuzzing.Case("g.gltf", fuzzing.hostile.gltf_instancing_graph(levels), "gltf"),
        fuzzing.Case("g.3mf", fuzzing.hostile.threemf_instancing_graph(levels), "3mf"),
    ):
        with pytest.raises(MeshError) as caught:
            fuzzing.run_case(case)
        assert caught.value.code == errors.TOO_MANY_TRIANGLES
