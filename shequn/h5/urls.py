from django.urls import path

from . import views

app_name = "h5"
urlpatterns = [
    path("", views.card, name="card"),
]
