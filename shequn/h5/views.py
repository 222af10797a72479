from django.http import HttpResponse


def card(request):
    return HttpResponse("Shequn member")
