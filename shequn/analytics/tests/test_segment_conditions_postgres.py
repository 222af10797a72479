"""The segment condition tests again on PostgreSQL (run with -m postgres and DATABASE_URL)."""

import pytest

from .test_segment_conditions import *  # noqa: F403  (the same tests, collected here under the postgres mark)
from .test_segment_conditions import world  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
