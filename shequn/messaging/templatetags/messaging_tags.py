from django import template

from shequn.messaging import selectors

register = template.Library()


@register.simple_tag
def unread_messages(member) -> int:
    """Unread in-app messages of a member (the badge on the member card)."""
    return selectors.unread_count(member.pk) if member is not None else 0
