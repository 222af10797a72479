from django.apps import AppConfig


class H5Config(AppConfig):
    name = "shequn.h5"
    label = "h5"
