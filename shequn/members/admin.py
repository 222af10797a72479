from django.contrib import admin

from .models import Consent, Member, Tag


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Phone numbers appear masked only; revealing goes through the console (audited)."""

    list_display = ("member_no", "name", "phone_masked", "home_store", "source", "joined_at")
    list_filter = ("home_store", "source", "gender")
    search_fields = ("member_no", "name", "external_id")
    exclude = ("phone_encrypted", "phone_hash")
    readonly_fields = ("member_no", "phone_masked")
    raw_id_fields = ("referrer",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("member", "purpose", "granted", "notice_version", "recorded_at")
    list_filter = ("purpose", "granted")
    raw_id_fields = ("member",)

    def has_change_permission(self, request, obj=None):
        return False
