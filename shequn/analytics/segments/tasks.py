"""Nightly: evaluate every rule tag, then re-materialise every segment; segments refresh on tag and consent
events in between (only the members touched)."""

import datetime as dt

from django.tasks import task

from shequn.core import outbox
from shequn.core.scheduler import every

from . import services, tags

outbox.subscribe("member.tags_changed", tags.on_tags_changed)
outbox.subscribe("member.consent_changed", tags.on_consent_changed)


@every("analytics.segments_nightly", dt.timedelta(days=1))
@task()
def refresh_segments() -> dict:
    """Rule tags first (segments may have tag conditions), then every segment."""
    evaluated = tags.evaluate_all()
    materialised = services.materialise_all()
    return {"tags": len(evaluated), "segments": len(materialised)}
