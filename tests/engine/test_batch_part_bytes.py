"""UploadBatch.part_bytes: what a request's part files weigh, known before any is inflated
(the throttling's stored-bytes count, odm.request.quota)."""

from odm_engine.mesh.batch import UploadBatch
from odm_engine.mesh.limits import Limits
from tests.engine import hostile


def test_part_bytes_counts_plain_files_and_archive_members_by_their_declared_size():
    members = {"a.stl": b"a" * 1000, "b.stl": b"b" * 3000}
    archive = hostile.zip_of(members)
    batch = UploadBatch([("plain.stl", b"p" * 500), ("parts.zip", archive)], Limits())
    assert len(batch) == 3
    assert batch.part_bytes == 500 + 1000 + 3000
    assert len(archive) < 1000, "compressed: the archive's own size is not what is stored"
