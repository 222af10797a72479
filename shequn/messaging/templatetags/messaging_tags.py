from django import template

from shequn.messaging import selectors

register = template.Library()


@register.simple_tag
def unread_messages(member) -> int:
    """Unread in-app messages of a member (the badge on the member card)."""
    return selectors.unread_count(member.pk) if member is not None else 0


@register.filter
def linked(text: str):
    """Message text with its http(s) links clickable (everything else escaped)."""
    from django.utils.html import escape, format_html
    from django.utils.safestring import mark_safe

    from shequn.messaging.links import URL

    parts, last = [], 0
    for match in URL.finditer(text or ""):
        parts.append(escape(text[last:match.start()]))
        parts.append(format_html('<a href="{0}" rel="noopener">{0}</a>', match.group(0)))
        last = match.end()
    parts.append(escape((text or "")[last:]))
    return mark_safe("".join(parts))
