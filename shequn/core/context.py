from django.conf import settings


def shequn_context(request):
    return {"DEMO_MODE": settings.DEMO_MODE, "DEV_INBOX": settings.DEV_INBOX}
