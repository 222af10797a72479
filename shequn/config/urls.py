from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from shequn.config.api import api, unknown_endpoint

admin.site.site_header = "Shequn 社群 · 数据后台"
admin.site.site_title = "Shequn admin"

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/", unknown_endpoint),
    path("admin/", admin.site.urls),
    path("console/", include("shequn.console.urls")),
    path("m/", include("shequn.h5.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("shequn.messaging.urls")),  # /l/<code> short links, /u/<token>/ unsubscribe, SMS replies
]
