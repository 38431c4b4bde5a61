import math
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.sql_db import db_connect

from .odm_part import UploadRefusedError

MB = 2**20


class QuotaLimits(NamedTuple):
    """What one subject may do: requests and part files per minute, MB stored per day
    (0: unlimited)."""

    requests_per_minute: int
    parts_per_minute: int
    mb_per_day: int


class QuotaExceededError(UserError):
    """A request over its subject's quota: answered with HTTP 429, ``Retry-After`` set to
    ``retry_after`` seconds; nothing of it is analysed or stored."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


class OdmRequestQuota(models.Model):
    """The counters of one subject (a visitor's IP address, a customer partner's id) in its
    current windows: requests and part files this minute, MB stored this day.

    Counters live in PostgreSQL, not in memory, so that every worker process and every Odoo
    host of the database counts together. They are written on their own connection and
    committed at once: a request that is refused, or fails, still counts. The subject is plain
    text, no foreign key, so that this connection never waits on the request's records.
    """

    _name = "odm.request.quota"
    _description = "Request quota counters"
    _log_access = False
    _order = "kind, subject"

    kind = fields.Selection(
        [("visitor", "Visitor (IP address)"), ("customer", "Customer (partner)")],
        required=True,
        readonly=True,
    )
    subject = fields.Char(
        required=True, readonly=True, help="The visitor's IP address or the partner's id."
    )
    minute_start = fields.Datetime("Minute started", required=True, readonly=True)
    requests = fields.Integer("Requests this minute", readonly=True)
    parts = fields.Integer("Part files this minute", readonly=True)
    day_start = fields.Datetime("Day started", required=True, readonly=True)
    stored_mb = fields.Float("MB stored this day", readonly=True)

    _sql_constraints = [
        ("kind_subject_uniq", "unique(kind, subject)", "One row of counters per subject."),
    ]

    @api.model
    def _odm_admit(self, kind, subject, uploads=(), parts=0, stored_bytes=0):
        """Counts one request of ``subject`` with the part files it brings, or refuses it.

        ``uploads`` are files [(filename, bytes)] counted as their analysis will count them
        (zip archives by their directory, before anything is inflated or analysed);
        ``parts`` and ``stored_bytes`` are files the caller counted itself. The request is
        counted even when refused; its files are counted only when it is admitted.
        QuotaExceededError says which limit it is over and when to try again.

        The counters are committed at once, on their own connection: Odoo's retry of the same
        HTTP request after a serialization failure (``odoo.service.model.retrying``, same
        ``request`` object) is the request already admitted, not another one to count.
        """
        admitted = getattr(request, "odm_admitted", None) if request else None
        if admitted is not None and (kind, subject) in admitted:
            return
        if uploads:
            upload_parts, upload_bytes = self._odm_upload_size(uploads)
            parts += upload_parts
            stored_bytes += upload_bytes
        limits = self._odm_limits(kind)
        # MB count only where a day's storage is limited (visitors store nothing).
        stored_mb = stored_bytes / MB if limits.mb_per_day else 0.0
        window = count_request(
            self.env.cr.dbname, kind, subject, limits, parts=parts, stored_mb=stored_mb
        )
        if window.exceeded:
            raise self._odm_refusal(window, limits, parts, stored_mb)
        if request:
            request.odm_admitted = (admitted or set()) | {(kind, subject)}

    @api.model
    def _odm_upload_size(self, uploads):
        """(part files, bytes) of ``uploads`` as their analysis counts them, nothing inflated;
        (0, 0) for an upload the analysis refuses at once with its own reason."""
        try:
            batch = self.env["odm.part"]._open_uploads(uploads)
        except UploadRefusedError:
            return 0, 0
        return len(batch), batch.part_bytes

    @api.model
    def _odm_limits(self, kind):
        """The current company's limits for subjects of this kind (Settings > ODM)."""
        company = self.env.company.sudo()
        if kind == "visitor":
            # Visitors' parts are priced in memory and never stored.
            return QuotaLimits(
                company.odm_visitor_requests_per_minute, company.odm_visitor_parts_per_minute, 0
            )
        if kind == "customer":
            return QuotaLimits(
                company.odm_customer_requests_per_minute,
                company.odm_customer_parts_per_minute,
                company.odm_customer_mb_per_day,
            )
        raise ValueError(f"no quota limits for {kind!r}")

    @api.model
    def _odm_refusal(self, window, limits, parts, stored_mb):
        """The QuotaExceededError of a request of ``parts`` files and ``stored_mb`` MB that
        ``window`` (a Window) found over ``limits``: one sentence, the seconds to wait."""
        minute_left, day_left = window.minute_left, window.day_left
        if window.exceeded == "requests":
            message = self.env._(
                "Too many requests: %(limit)s per minute are allowed, please try again in "
                "%(wait)s.",
                limit=limits.requests_per_minute,
                wait=self._odm_wait(minute_left),
            )
            return QuotaExceededError(message, minute_left)
        if window.exceeded == "parts":
            if parts > limits.parts_per_minute:
                message = self.env._(
                    "This request holds %(count)s part files, more than the %(limit)s allowed "
                    "per minute: please send fewer at a time.",
                    count=parts,
                    limit=limits.parts_per_minute,
                )
            else:
                message = self.env._(
                    "Too many part files: %(limit)s per minute are allowed, please try again "
                    "in %(wait)s.",
                    limit=limits.parts_per_minute,
                    wait=self._odm_wait(minute_left),
                )
            return QuotaExceededError(message, minute_left)
        if stored_mb > limits.mb_per_day:
            message = self.env._(
                "This request would store %(size)s MB, more than the %(limit)s MB allowed per "
                "day: please send fewer or smaller files.",
                size=math.ceil(stored_mb),
                limit=limits.mb_per_day,
            )
        else:
            message = self.env._(
                "The %(limit)s MB of files that may be stored per day are used up, please try "
                "again in %(wait)s.",
                limit=limits.mb_per_day,
                wait=self._odm_wait(day_left),
            )
        return QuotaExceededError(message, day_left)

    @api.model
    def _odm_wait(self, seconds):
        """``seconds`` in words, rounded up to a unit a reader can use."""
        if seconds <= 90:
            return self.env._("%(count)s seconds", count=seconds)
        if seconds <= 90 * 60:
            return self.env._("%(count)s minutes", count=math.ceil(seconds / 60))
        return self.env._("%(count)s hours", count=math.ceil(seconds / 3600))

    @api.autovacuum
    def _gc_finished_windows(self):
        """Forgets subjects whose minute and day are both over: they start afresh anyway."""
        self.env.cr.execute(
            """
            DELETE FROM odm_request_quota
             WHERE minute_start <= (now() AT TIME ZONE 'UTC') - interval '1 minute'
               AND day_start <= (now() AT TIME ZONE 'UTC') - interval '1 day'
            """
        )


class Window(NamedTuple):
    """A subject's counters after one request was counted (its files only if admitted),
    the limit it is over (``"requests"``, ``"parts"``, ``"mb"``) or None, and the seconds
    left in its minute and day."""

    exceeded: str | None
    requests: int
    parts: int
    stored_mb: float
    minute_left: int
    day_left: int


def count_request(dbname, kind, subject, limits, *, parts=0, stored_mb=0.0):
    """Counts one request of ``subject`` and, if it is within ``limits``, its ``parts`` files
    and ``stored_mb`` MB, on a connection of its own committed at once; the Window.

    The upsert locks the subject's row until the commit, so that concurrent requests of
    every worker and host count one after the other. READ COMMITTED: each waits for the
    other's commit and counts on from its result (Odoo's REPEATABLE READ would refuse it).
    """
    with db_connect(dbname).cursor() as cr:
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cr.execute(
            """
            INSERT INTO odm_request_quota AS quota
                   (kind, subject, minute_start, requests, parts, day_start, stored_mb)
            VALUES (%(kind)s, %(subject)s, now() AT TIME ZONE 'UTC', 1, 0,
                    now() AT TIME ZONE 'UTC', 0)
            ON CONFLICT (kind, subject) DO UPDATE SET
                requests = CASE WHEN quota.minute_start > EXCLUDED.minute_start
                                                         - interval '1 minute'
                                THEN quota.requests + 1 ELSE 1 END,
                parts = CASE WHEN quota.minute_start > EXCLUDED.minute_start
                                                      - interval '1 minute'
                             THEN quota.parts ELSE 0 END,
                minute_start = CASE WHEN quota.minute_start > EXCLUDED.minute_start
                                                             - interval '1 minute'
                                    THEN quota.minute_start ELSE EXCLUDED.minute_start END,
                stored_mb = CASE WHEN quota.day_start > EXCLUDED.day_start - interval '1 day'
                                 THEN quota.stored_mb ELSE 0 END,
                day_start = CASE WHEN quota.day_start > EXCLUDED.day_start - interval '1 day'
                                 THEN quota.day_start ELSE EXCLUDED.day_start END
            RETURNING id, requests, parts, stored_mb,
                EXTRACT(EPOCH FROM minute_start + interval '1 minute'
                                   - (now() AT TIME ZONE 'UTC')),
                EXTRACT(EPOCH FROM day_start + interval '1 day' - (now() AT TIME ZONE 'UTC'))
            """,
            {"kind": kind, "subject": str(subject)},
        )
        row_id, requests, counted_parts, counted_mb, minute_left, day_left = cr.fetchone()
        if limits.requests_per_minute and requests > limits.requests_per_minute:
            exceeded = "requests"
        elif limits.parts_per_minute and counted_parts + parts > limits.parts_per_minute:
            exceeded = "parts"
        elif limits.mb_per_day and counted_mb + stored_mb > limits.mb_per_day:
            exceeded = "mb"
        else:
            exceeded = None
            if parts or stored_mb:
                cr.execute(
                    "UPDATE odm_request_quota SET parts = parts + %s, stored_mb = stored_mb + %s "
                    "WHERE id = %s RETURNING parts, stored_mb",
                    (parts, stored_mb, row_id),
                )
                counted_parts, counted_mb = cr.fetchone()
    return Window(
        exceeded,
        requests,
        counted_parts,
        counted_mb,
        max(math.ceil(minute_left), 1),
        max(math.ceil(day_left), 1),
    )
