"""The part files of a multipart request, as the portal and the quote API hand them on."""

import posixpath

from odoo.http import request

from odm_engine.mesh.errors import FILE_TOO_LARGE

from ..models.odm_part import FileRefusal


def upload_name(storage):
    """The sent file's own name, without the folders some browsers send along with it."""
    return posixpath.basename(storage.filename.replace("\\", "/"))


def read_uploads(storages, refuse_oversize=True):
    """(uploads, refused): the sent files as (name, bytes), each read no further than the
    company's size limit. A file above it is refused alone (FileRefusal ``file_too_large``),
    or, without ``refuse_oversize``, kept for the model to refuse."""
    env = request.env
    limit = env["odm.pricing"].sudo().engine_limits().max_file_bytes
    uploads, refused = [], []
    for storage in storages:
        name = upload_name(storage)
        data = storage.read(limit + 1)
        if refuse_oversize and len(data) > limit:
            reason = env._(
                "The file is larger than the %(limit)s MB limit for instant quotes.",
                limit=limit // 2**20,
            )
            refused.append(FileRefusal(name, reason, FILE_TOO_LARGE))
        else:
            uploads.append((name, data))
    return uploads, refused
