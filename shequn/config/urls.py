from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from shequn.config.api import api

admin.site.site_header = "Shequn 社群 · 数据后台"
admin.site.site_title = "Shequn admin"

urlpatterns = [
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("console/", include("shequn.console.urls")),
    path("m/", include("shequn.h5.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
