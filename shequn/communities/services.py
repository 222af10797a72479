"""Community writes. Other apps call these; the modules beside it hold the details."""

from .activities import attendance, check_in_activity, create_activity, sign_up
from .entry_codes import (
    candidate_slots,
    create_entry_code,
    entry_code_join_url,
    join_via_code,
    qr_png,
    qr_svg,
    rename_entry_code,
    set_entry_code_active,
    target_group,
)
from .groups import archive_group, create_dimension, create_group, set_rules, update_group
from .invites import create_invite_link, invite_link_url, inviter_stats, join_via_invite
from .membership import (
    blacklist_member,
    join_group,
    leave_group,
    mark_seed,
    remove_member,
    set_role,
    unblacklist_member,
)
from .polls import create_poll, poll_results, vote
from .posts import publish_due_posts, publish_post, reply_to_post
from .red_packets import create_red_packet, expire_red_packets, grab_red_packet
from .reports import report_violation, review_report
from .selectors import current_rules

__all__ = [
    "archive_group", "blacklist_member", "candidate_slots", "create_dimension", "create_entry_code",
    "create_group", "create_invite_link", "current_rules", "entry_code_join_url", "invite_link_url",
    "inviter_stats", "join_group", "join_via_code", "join_via_invite", "leave_group", "mark_seed", "qr_png",
    "qr_svg", "remove_member", "rename_entry_code", "report_violation", "review_report", "set_entry_code_active",
    "set_role", "set_rules", "target_group", "unblacklist_member", "update_group",
]

__all__ += [
    "attendance", "check_in_activity", "create_activity", "create_poll", "create_red_packet", "expire_red_packets",
    "grab_red_packet", "poll_results", "publish_due_posts", "publish_post", "reply_to_post", "sign_up", "vote",
]
