from django.urls import path

from .views import audit, auth, communities, dashboard, grants, imports, loyalty, members, staff

app_name = "console"
urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="dashboard"),
    path("members/", members.member_list, name="members"),
    path("members/import/", imports.member_import, name="member_import"),
    path("members/<int:member_id>/", members.member_detail, name="member_detail"),
    path("members/<int:member_id>/reveal-phone/", members.member_reveal_phone, name="member_reveal_phone"),
    path("members/<int:member_id>/adjust/", members.member_adjust_points, name="member_adjust"),
    path("members/<int:member_id>/tier/", members.member_set_tier, name="member_set_tier"),
    path("loyalty/", loyalty.loyalty_settings, name="loyalty_settings"),
    path("loyalty/grants/", grants.bulk_grants, name="bulk_grants"),
    path("loyalty/grants/table/", grants.bulk_grants_table, name="bulk_grants_table"),
    path("groups/", communities.group_matrix, name="groups"),
    path("groups/<int:group_id>/", communities.group_detail, name="group_detail"),
    path("groups/<int:group_id>/rules/", communities.group_rules, name="group_rules"),
    path("groups/<int:group_id>/red-packets/", communities.group_red_packet, name="group_red_packet"),
    path("groups/<int:group_id>/members/<int:member_id>/role/", communities.member_role, name="group_member_role"),
    path("groups/<int:group_id>/members/<int:member_id>/remove/", communities.member_remove,
         name="group_member_remove"),
    path("entry-codes/", communities.entry_codes, name="entry_codes"),
    path("entry-codes/<str:code>/poster/", communities.entry_code_poster, name="entry_code_poster"),
    path("groups/suggestions/<int:suggestion_id>/decide/", communities.suggestion_decide, name="suggestion_decide"),
    path("groups/reports/", communities.violation_reports, name="violation_reports"),
    path("groups/reports/<int:report_id>/review/", communities.violation_report_review,
         name="violation_report_review"),
    path("audit/", audit.audit_log, name="audit"),
    path("staff/", staff.staff_page, name="staff"),
    path("staff/create/", staff.staff_create, name="staff_create"),
    path("staff/<int:user_id>/toggle-active/", staff.staff_toggle_active, name="staff_toggle_active"),
    path("staff/tokens/create/", staff.token_create, name="token_create"),
    path("staff/tokens/<int:token_id>/revoke/", staff.token_revoke, name="token_revoke"),
]
