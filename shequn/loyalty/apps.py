from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "shequn.loyalty"
    label = "loyalty"
    verbose_name = "等级与积分 Tiers and points"
