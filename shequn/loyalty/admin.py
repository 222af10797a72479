from django.contrib import admin

from shequn.core.admin import ReadOnlyAdmin

from .models import BulkGrant, LoyaltyAccount, LoyaltyProgram, PointsEntry, Tier, TierChange


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ("rank", "code", "name", "min_spend_fen", "min_orders", "min_growth",
                    "discount_permille", "points_multiplier_pct")


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(admin.ModelAdmin):
    list_display = ("points_per_yuan", "expiry_policy", "checkin_points", "updated_at")


@admin.register(LoyaltyAccount)
class LoyaltyAccountAdmin(ReadOnlyAdmin):
    list_display = ("member", "tier", "points_balance", "tier_since", "downgrade_due_at")
    list_filter = ("tier",)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "member", "kind", "points", "balance_after", "source", "reason", "created_at")
    list_filter = ("kind", "source")


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ("member", "from_tier", "to_tier", "reason", "created_at")


@admin.register(BulkGrant)
class BulkGrantAdmin(ReadOnlyAdmin):
    list_display = ("id", "points", "reason", "status", "granted", "total", "created_by", "created_at")
