"""Background jobs of the analytics app (found by the task autodiscovery)."""

from . import rfm_tasks  # noqa: F401
from .segments import tasks as segment_tasks  # noqa: F401
