"""Template preview with a real member: rendered exactly as it would be sent, nothing stored."""

from shequn.members.models import Member

from . import templating
from .context import member_values
from .models import MessageTemplate
from .sending import member_values_for_groups


def preview(template: MessageTemplate, member: Member | None, language: str = "zh-hans") -> dict:
    english = language.startswith("en") and bool(template.body_en)
    subject = (template.subject_en if english else template.subject_zh) or template.subject_zh
    body = template.body_en if english else template.body_zh
    needed = set(templating.variables_in(subject)) | set(templating.variables_in(body))
    values = (member_values(member, needed=needed, language=language) if member is not None
              and template.channel.reaches_members else member_values_for_groups())
    used = {n: values.get(n, "") for n in needed}
    return {"subject": templating.render(subject, values).text, "body": templating.render(body, values).text,
            "variables": used}
