"""Gap-tolerant counters handed out in blocks inside the caller's transaction."""

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Sequence


def reserve(name: str, count: int = 1) -> range:
    """Reserve `count` consecutive numbers; returns them as a range."""
    with transaction.atomic():
        updated = Sequence.objects.filter(name=name).update(value=F("value") + count)
        if not updated:
            try:
                with transaction.atomic():
                    Sequence.objects.create(name=name, value=count)
                return range(1, count + 1)
            except IntegrityError:
                Sequence.objects.filter(name=name).update(value=F("value") + count)
        end = Sequence.objects.get(name=name).value
    return range(end - count + 1, end + 1)
