from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("l/<str:code>", views.short_link, name="short_link"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("hooks/sms/<str:token>/", views.sms_reply_callback, name="sms_reply_callback"),
]
