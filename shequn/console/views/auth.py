from django.contrib.auth import views as auth_views

from ..forms.auth import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "console:login"
