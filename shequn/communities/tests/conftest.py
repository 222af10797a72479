"""Fixtures shared by the community tests."""

import pytest

from shequn.communities import services


@pytest.fixture
def group(system_actor, store):
    """A group of the Shanghai store, no admins yet."""
    return services.create_group(system_actor, name="静安宝妈群", store=store)


@pytest.fixture
def joined(system_actor, group, make_member, store):
    """joined() adds a new member of the store to the group and returns them."""
    def add():
        m = make_member(store=store)
        services.join_group(system_actor, group, m, accepted_rules_version=None)
        return m
    return add
