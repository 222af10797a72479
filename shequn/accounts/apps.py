from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shequn.accounts"
    label = "accounts"
    verbose_name = "员工与令牌 Staff and tokens"
