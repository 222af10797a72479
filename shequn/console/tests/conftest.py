"""Console fixtures: logged-in staff clients by role."""

import pytest

PASSWORD = "correct-horse-42"


@pytest.fixture
def staff_user(db):
    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    def make(role="owner", stores=None, username=None, password=PASSWORD):
        user, _ = ensure_staff(SYSTEM, username or f"{role}_console", role=role, store_codes=stores,
                               password=password, display_name=f"{role} 测试")
        return user

    return make


@pytest.fixture
def console_as(staff_user):
    """A Django test client logged in as a staff user of the given role."""
    from django.test import Client

    def make(role="owner", stores=None, username=None):
        client = Client()
        client.force_login(staff_user(role, stores, username))
        return client

    return make


@pytest.fixture
def owner(console_as):
    return console_as("owner")


@pytest.fixture
def tiers(db):
    from shequn.loyalty.models import Tier
    from shequn.loyalty.program import ensure_default_tiers

    ensure_default_tiers()
    return {t.code: t for t in Tier.objects.all()}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is deliberately slow; the console tests log in many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def desk_page(chromium_page):
    """A Chromium page the size of a store PC screen (1280×800), in Chinese."""
    return chromium_page(viewport={"width": 1280, "height": 800})
