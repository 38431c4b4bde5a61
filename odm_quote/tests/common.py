import base64
import io
import zipfile

import trimesh

from odoo.sql_db import db_connect
from odoo.tests import TransactionCase


def box_stl(*extents):
    """A binary STL of a box with these extents (file units)."""
    return trimesh.creation.box(extents=extents).export(file_type="stl")


def zipped(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class PartCase(TransactionCase):
    """A customer, a quotation and helpers to upload files through the wizard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Test Customer Ltd"})
        cls.order = cls.env["sale.order"].create({"partner_id": cls.customer.id})
        cls.fdm = cls.env.ref("odm_quote.process_fdm")
        cls.pla = cls.env.ref("odm_quote.material_pla")

    def upload(self, files, order=None, **options):
        attachments = self.env["ir.attachment"].create(
            [{"name": name, "datas": base64.b64encode(data)} for name, data in files.items()]
        )
        wizard = self.env["odm.part.upload.wizard"].create(
            {
                "order_id": (order or self.order).id,
                "attachment_ids": [(6, 0, attachments.ids)],
                "process_id": self.fdm.id,
                **options,
            }
        )
        return wizard.action_add_parts()


class QuotaCounters:
    """Reads and moves the throttling counters (odm.request.quota) of a test's subjects.

    The counters are committed on a connection of their own, so the test's transaction
    neither sees nor rolls them back: they are read and written here on such a connection,
    and a subject's counters are forgotten before and after the test that uses it.
    """

    def _quota_sql(self, query, *params):
        with db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(query, params)
            return cr.fetchone() if cr.description else None

    def quota(self, kind, subject):
        """(requests, parts, MB stored) counted for the subject in its current windows."""
        return self._quota_sql(
            "SELECT requests, parts, stored_mb FROM odm_request_quota "
            "WHERE kind = %s AND subject = %s",
            kind,
            str(subject),
        )

    def fresh_quota(self, kind, subject):
        """The subject starts this test with no counters and leaves none behind."""
        forget = "DELETE FROM odm_request_quota WHERE kind = %s AND subject = %s"
        self._quota_sql(forget, kind, str(subject))
        self.addCleanup(self._quota_sql, forget, kind, str(subject))

    def end_minute(self, kind, subject):
        """The subject's minute is over, as if the test had waited for it."""
        self._quota_sql(
            "UPDATE odm_request_quota SET minute_start = minute_start - interval '61 seconds' "
            "WHERE kind = %s AND subject = %s",
            kind,
            str(subject),
        )

    def use_day(self, kind, subject, stored_mb):
        """The subject has stored ``stored_mb`` MB today."""
        self._quota_sql(
            "UPDATE odm_request_quota SET stored_mb = %s WHERE kind = %s AND subject = %s",
            stored_mb,
            kind,
            str(subject),
        )
