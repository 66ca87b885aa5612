"""Reversibility exports: start one, build it (the Celery task's one service), expire old ones.

A job is claimed by a conditional UPDATE (queued, or running with a heartbeat older than
``EXPORT_STALE_MINUTES``: its worker died) that proceeds only if one row changed, so a task
delivered twice builds the archive once, and a finished job is never rebuilt.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
import zipfile

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Client
from msp_portal.core.audit import audit_record

from . import archive
from .models import ExportJob

logger = logging.getLogger(__name__)


def retention() -> dt.timedelta:
    return dt.timedelta(days=settings.EXPORT_RETENTION_DAYS)


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.EXPORT_STALE_MINUTES)


def can_export(user, client: Client) -> bool:
    """Client administrators of this client, and MSP staff (who reach the client through
    ``Client.objects.for_user`` before they get here)."""
    if not getattr(user, "is_active", False):
        return False
    if user.is_msp_staff:
        return True
    return bool(user.is_client_admin and user.client_id == client.pk)


def _stale(now: dt.datetime) -> Q:
    """Jobs whose task was lost (queued long ago) or whose worker died (no progress lately)."""
    cutoff = now - stale_after()
    last_sign = Coalesce("heartbeat_at", "created_at")
    queued = ExportJob.objects.filter(status=ExportJob.Status.QUEUED).alias(last=last_sign)
    return Q(pk__in=queued.filter(last__lt=cutoff).values("pk")) | Q(
        status=ExportJob.Status.RUNNING, heartbeat_at__lt=cutoff
    )


def _enqueue(job_id: int) -> None:
    from .tasks import export_build

    transaction.on_commit(lambda: export_build.delay(job_id))


def export_start(
    *, client: Client, by, include_internal: bool = False, request: HttpRequest | None = None
) -> ExportJob:
    """Queue an export of everything held about ``client`` (built on commit by a worker).

    One export at a time per client: while one is queued or running, it is returned instead of
    a second; one whose worker died is queued again. Internal notes only for MSP staff.
    """
    if not can_export(by, client):
        raise PermissionDenied(_("Only the company's administrators may export its data."))
    include_internal = bool(include_internal and by.is_msp_staff)
    now = timezone.now()
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()  # serialise starts
        active = (
            ExportJob.objects.for_client(client)
            .filter(status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])
            .order_by("-created_at")
            .first()
        )
        if active is not None and not active.is_stale(now - stale_after()):
            return active
        if active is not None:  # its task or its worker was lost: start it again
            ExportJob.objects.filter(pk=active.pk).update(
                status=ExportJob.Status.QUEUED, step="", progress=0, heartbeat_at=now
            )
            _enqueue(active.pk)
            active.refresh_from_db()
            return active
        job = ExportJob.objects.create(
            client=client,
            requested_by=by,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            include_internal=include_internal,
        )
        audit_record(
            actor=by,
            action="export.requested",
            request=request,
            client_id=client.pk,
            obj=job,
            data={"include_internal": include_internal},
        )
        _enqueue(job.pk)
    return job


def _claim(job_id: int, now: dt.datetime) -> bool:
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(Q(status=ExportJob.Status.QUEUED) | _stale(now))
        .update(
            status=ExportJob.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress=0,
            step="",
            error="",
        )
    )
    return claimed == 1


def _progress(job_id: int, progress: int, step: str) -> None:
    ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
        progress=min(99, max(0, progress)), step=step[:100], heartbeat_at=timezone.now()
    )


def _write_archive(job: ExportJob, target) -> None:
    client, internal = job.client, job.include_internal
    sets = archive.datasets()
    steps = len(sets) + 2
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for index, dataset in enumerate(sets):
            _progress(job.pk, 100 * index // steps, dataset.name)
            counts[dataset.name] = archive.write_dataset(zf, dataset, client, internal)
        _progress(job.pk, 100 * len(sets) // steps, "attachments")
        counts["attachments"] = archive.write_attachments(zf, client, internal)
        _progress(job.pk, 100 * (len(sets) + 1) // steps, "README")
        zf.writestr("README.md", archive.readme_text(client, internal, counts))


def export_build(*, job_id: int) -> bool:
    """Build the archive of one job; False when there was nothing to do (gone, finished,
    or being built by a live worker)."""
    now = timezone.now()
    if not _claim(job_id, now):
        return False
    job = ExportJob.objects.select_related("client").get(pk=job_id)
    try:
        with (
            translation.override(job.language),
            tempfile.TemporaryFile(dir=settings.VAR_DIR) as tmp,
        ):
            _write_archive(job, tmp)
            size = tmp.tell()
            tmp.seek(0)
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            job.file.save(f"export-{stamp}-{uuid.uuid4().hex}.zip", File(tmp), save=False)
    except Exception as error:
        logger.exception("Export %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:500],
            finished_at=timezone.now(),
        )
        return False
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.DONE,
        progress=100,
        step="",
        file=job.file.name,
        size=size,
        finished_at=finished,
        expires_at=finished + retention(),
    )
    return True


def export_downloaded(*, job: ExportJob, by, request: HttpRequest | None = None) -> None:
    """Record who took the archive: it is the whole of a company's data."""
    audit_record(
        actor=by,
        action="export.downloaded",
        request=request,
        client_id=job.client_id,
        obj=job,
        data={"size": job.size},
    )


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete the archives past their expiry, and re-queue jobs whose worker died.

    Returns the number of archives deleted. The rows stay (status "expired"): who exported what
    and when remains visible; only the data goes.
    """
    now = now or timezone.now()
    deleted = 0
    for job in ExportJob.objects.expired(now).exclude(status=ExportJob.Status.EXPIRED).iterator():
        if job.file:
            job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file="")
        deleted += 1
    for job_id in ExportJob.objects.filter(_stale(now)).values_list("pk", flat=True):
        _enqueue(job_id)
    return deleted
