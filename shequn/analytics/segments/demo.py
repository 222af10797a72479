"""Demo 客群 and a rule tag, built after the demo's RFM and lifetime-value runs, and materialised."""

from shequn.core.actor import Actor
from shequn.members.models import Tag
from shequn.stores.models import Store

from . import services, tags
from .models import Segment

SEGMENTS = [
    ("高价值沉睡会员", "价值前 30%，但超过 30 天没有购买：发回归礼券",
     [{"field": "value_decile", "op": "lte", "value": 3},
      {"field": "last_order", "op": "more_than_days_ago", "value": 30}], False),
    ("近30天新客", "近 30 天入会的会员：新人引导与首单礼",
     [{"field": "joined", "op": "less_than_days_ago", "value": 30}], False),
    ("金卡及以上本店会员", "本店金卡、钻石会员，且同意接收营销消息",
     [{"field": "tier", "op": "in", "value": ["gold", "diamond"]},
      {"field": "consent", "op": "granted", "value": "marketing"}], True),
]
RULE_TAG = ("高价值", [{"field": "value_decile", "op": "lte", "value": 2}])


def load_demo_segments(actor: Actor) -> str:
    """Three segments and the 高价值 rule tag; running it again changes nothing new."""
    first_store = Store.objects.filter(kind=Store.Kind.STORE).order_by("code").values_list("code", flat=True).first()
    counts = []
    for name, description, conditions, own_store in SEGMENTS:
        segment = Segment.objects.filter(name=name).first() or services.save_segment(
            actor, name=name, description=description, conditions=conditions,
            stores=[first_store] if own_store and first_store else [])
        counts.append(services.materialise(segment, actor)["count"])
    name, conditions = RULE_TAG
    if not Tag.objects.filter(name=name).exists():
        tags.create_tag(actor, name, conditions)
    return f"{len(SEGMENTS)} 个客群（{'、'.join(str(c) for c in counts)} 人）与 1 个规则标签"
