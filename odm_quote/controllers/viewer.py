"""The 3D viewer's payload of a part (odm_engine.mesh.viewer_export), for the portal and the
back office.

    GET  /my/parts/<id>/viewer           the customer's own part (cart lines and part page)
    GET  /odm_quote/part/<id>/viewer     any part the internal user may read (part form)

The payload is made at upload in the bounded analysis child and stored with the part (one
analysed before that gets it on first view), then drawn against the process the part is shown
for; responses carry its key as ETag (304 when the browser has it) and are gzip-compressed when
accepted.
"""

import gzip

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from ..models.odm_part import PartRefusedError
from .portal import PARTS_URL, OdmQuotePortal

PAYLOAD_TYPE = "application/vnd.odm-viewer"
GZIP_LEVEL = 6
MAX_AGE_S = 3600


def payload_response(part):
    """The part's payload as an HTTP response: 304 on a matching ETag, 422 with the reason when
    the file cannot be read again."""
    try:
        payload, key = part._odm_viewer_payload()
    except PartRefusedError as error:
        return request.make_response(
            error.args[0], [("Content-Type", "text/plain; charset=utf-8")], status=422
        )
    etag = f'"{key}"'
    headers = [
        ("Cache-Control", f"private, max-age={MAX_AGE_S}"),
        ("ETag", etag),
        ("Vary", "Accept-Encoding"),
    ]
    if etag in request.httprequest.headers.get("If-None-Match", ""):
        return request.make_response(b"", headers, status=304)
    if "gzip" in request.httprequest.headers.get("Accept-Encoding", ""):
        payload = gzip.compress(payload, GZIP_LEVEL, mtime=0)
        headers.append(("Content-Encoding", "gzip"))
    headers += [("Content-Type", PAYLOAD_TYPE), ("Content-Length", str(len(payload)))]
    return request.make_response(payload, headers)


class OdmViewerPortal(OdmQuotePortal):
    @http.route(f"{PARTS_URL}/<int:part_id>/viewer", type="http", auth="user")
    def portal_my_odm_part_viewer(self, part_id, **_kwargs):
        return payload_response(self._odm_own_part(part_id))


class OdmViewerBackend(http.Controller):
    @http.route("/odm_quote/part/<int:part_id>/viewer", type="http", auth="user")
    def odm_part_viewer(self, part_id, **_kwargs):
        if not request.env.user._is_internal():
            raise NotFound()
        part = request.env["odm.part"].browse(part_id).exists()
        if not part:
            raise NotFound()
        try:
            part.check_access("read")
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        return payload_response(part)
