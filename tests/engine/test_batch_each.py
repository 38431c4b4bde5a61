"""UploadBatch.files(): each file of a request is read (an archive member inflated) on its own,
so that one damaged file or archive is refused alone and the others are still quoted."""

import pytest

from odm_engine.mesh import errors
from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.errors import MeshError
from odm_engine.mesh.limits import Limits
from tests.engine import hostile


def read_each(batch):
    """{filename: bytes, or the refusal's code}."""
    outcome = {}
    for name, read in batch.files():
        try:
            outcome[name] = read()
        except MeshError as error:
            outcome[name] = error.code
    return outcome


def test_an_unreadable_archive_is_refused_alone_with_each():
    files = [("good.stl", b"g" * 10), ("bad.zip", b"PK\x03\x04 not a zip")]
    with pytest.raises(MeshError):
        UploadBatch(files, Limits())
    batch = UploadBatch(
        [*files, ("parts.zip", hostile.zip_of({"a.stl": b"a" * 100}))], Limits(), each=True
    )
    assert len(batch) == 3
    assert read_each(batch) == {
        "good.stl": b"g" * 10,
        "bad.zip": errors.CORRUPT_ARCHIVE,
        "a.stl": b"a" * 100,
    }


def test_members_past_the_request_budget_are_refused_one_by_one():
    members = {f"m{index}.stl": bytes([index]) * 4000 for index in range(3)}
    batch = UploadBatch([("parts.zip", hostile.zip_of(members))], Limits(), each=True)
    batch.budget.remaining = 9000  # what the request has left once others were inflated
    outcome = read_each(batch)
    assert outcome["m0.stl"] == members["m0.stl"] and outcome["m1.stl"] == members["m1.stl"]
    assert outcome["m2.stl"] == errors.ZIP_BOMB
