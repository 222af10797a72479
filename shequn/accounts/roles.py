"""Staff roles and what each may do."""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    HQ_OPERATOR = "hq_operator"
    STORE_MANAGER = "store_manager"
    COMMUNITY_OPERATOR = "community_operator"
    ANALYST = "analyst"


ROLE_LABELS = {
    Role.OWNER: "老板 Owner",
    Role.HQ_OPERATOR: "总部运营 HQ operator",
    Role.STORE_MANAGER: "店长 Store manager",
    Role.COMMUNITY_OPERATOR: "社群运营 Community operator",
    Role.ANALYST: "分析师 Analyst",
}

# Roles whose data is limited to the stores assigned to the user.
SCOPED_ROLES = {Role.STORE_MANAGER, Role.COMMUNITY_OPERATOR}

_READ = {"members.view", "loyalty.view", "stores.view", "dashboard.view", "communities.view", "commerce.view",
         "analytics.view", "messaging.view"}
_MEMBER_WRITE = {"members.write", "members.import", "points.adjust", "points.bulk_grant"}
# Running groups: create groups, entry codes, posts, polls, activities and red packets; moderate members.
_COMMUNITY = {"communities.manage", "communities.moderate"}
# Selling: stock at the user's stores, orders (offline payment, pickup, delivery), refunds.
_STORE_SALES = {"commerce.stock", "commerce.orders", "commerce.refund"}
# Messaging: send one message to a member (store managers: their stores' members); configure channels and
# templates (head office).
_MESSAGING = {"messaging.send", "messaging.configure"}
# Head office: catalog and prices, coupons, group-buy / team / flash campaigns, leaders, referral and
# distribution rules, commission statements and withdrawals.
_HQ_SALES = {"commerce.catalog", "commerce.campaigns", "commerce.commissions"}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(_READ | _MEMBER_WRITE | _COMMUNITY | _STORE_SALES | _HQ_SALES | _MESSAGING | {
        "members.reveal_pii", "loyalty.configure", "stores.write", "staff.manage", "audit.view", "analytics.run",
        "integrations.manage",
    }),
    Role.HQ_OPERATOR: frozenset(_READ | _MEMBER_WRITE | _COMMUNITY | _STORE_SALES | _HQ_SALES | _MESSAGING | {
        "members.reveal_pii", "loyalty.configure", "stores.write", "audit.view", "analytics.run",
        "integrations.manage",
    }),
    Role.STORE_MANAGER: frozenset(_READ | _COMMUNITY | _STORE_SALES | {
        "members.write", "members.import", "points.adjust", "members.reveal_pii", "messaging.send"}),
    Role.COMMUNITY_OPERATOR: frozenset(_READ | _COMMUNITY),
    Role.ANALYST: frozenset(_READ | {"audit.view", "analytics.run"}),
}


def permissions_for(role: str) -> frozenset[str]:
    return PERMISSIONS.get(role, frozenset())
