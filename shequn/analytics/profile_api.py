"""会员 360 画像 over HTTP."""

from dataclasses import asdict, fields

from ninja import Query, Router

from shequn.core.permissions import require

from .profile import member_profile
from .profile_recs import recommended_products
from .profile_schemas import MemberProfileOut

router = Router(tags=["analytics"])


@router.get("/analytics/members/{member_id}/profile", response=MemberProfileOut,
            summary="会员 360 画像: purchases, groups, points, coupons, referrals, RFM, value and recommendations")
def get_profile(request, member_id: int, recommendations: int = Query(6, ge=0, le=20)):
    """A store manager gets 404 for a member of another store, and figures of their own stores only."""
    require(request.auth, "analytics.view")
    profile = member_profile(request.auth, member_id)
    m = profile.member
    body = {f.name: getattr(profile, f.name) for f in fields(profile) if f.name != "member"}
    body["purchases"] = asdict(profile.purchases)
    body["recent_orders"] = [asdict(o) for o in profile.recent_orders]
    body["member"] = {"id": m.pk, "member_no": m.member_no, "name": m.name,
                      "home_store_code": m.home_store.code if m.home_store_id else None,
                      "joined_at": m.joined_at, "tags": profile.tags}
    body["recommendations"] = (recommended_products(m.pk, profile.points["tier_code"], k=recommendations)
                               if recommendations else [])
    return body
