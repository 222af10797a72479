from django.urls import path

from . import views

app_name = "h5"
urlpatterns = [
    path("", views.card, name="card"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("check-in/", views.check_in, name="check_in"),
    path("points/", views.points, name="points"),
    path("privacy/", views.privacy, name="privacy"),
    path("dev/inbox/", views.dev_inbox, name="dev_inbox"),
]
