"""The REST API at /api/v1: bearer tokens, problem+json errors, OpenAPI."""

import logging

from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from shequn.accounts.actors import client_ip, staff_actor
from shequn.accounts.tokens import authenticate_token
from shequn.core.errors import NotFound, Problem, ValidationProblem, problem_response

log = logging.getLogger("shequn.api")


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class TextSafeParser(Parser):
    """JSON bodies and query strings as usual, but text with NUL characters is refused with a 422:
    PostgreSQL cannot store them, and no real input contains them."""

    @staticmethod
    def _refuse_nul(data):
        if _has_nul(data):
            raise ValidationProblem("Text may not contain NUL (\\0) characters.", type="invalid-text")
        return data

    def parse_body(self, request):
        return self._refuse_nul(super().parse_body(request))

    def parse_querydict(self, data, list_fields, request):
        return self._refuse_nul(super().parse_querydict(data, list_fields, request))


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_token = authenticate_token(token)
        if api_token is None:
            return None
        return staff_actor(api_token.user, ip=client_ip(request), via_token=api_token.pk)


api = NinjaAPI(
    title="Shequn API",
    version="1",
    description="Members, tiers, points and everything else in Shequn. Authenticate with "
                "`Authorization: Bearer <token>` (create one with `shequn create-api-token`). "
                "Errors are RFC 9457 problem+json with a stable `type`. Writes accept `Idempotency-Key`.",
    auth=TokenAuth(),
    parser=TextSafeParser(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(Problem)
def _problem(request, exc: Problem):
    return problem_response(request, exc)


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in errors)
    return problem_response(request, ValidationProblem(detail or "Invalid input.", errors=errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(request, Problem(
        "Send a valid API token as 'Authorization: Bearer <token>'.",
        status=401, type="unauthorized", title="Authentication required"))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, Problem):  # raised by our parser, wrapped by Django Ninja
        return problem_response(request, exc.__cause__)
    return problem_response(request, Problem(str(exc), status=exc.status_code, type=f"http-{exc.status_code}",
                                             title=str(exc)))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(request, NotFound("Not found."))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("unhandled error in %s %s", request.method, request.path)
    return problem_response(request, Problem("Something went wrong on our side; the error has been logged.",
                                             status=500, type="server-error", title="Internal server error"))


@csrf_exempt  # token-authenticated like the API itself; otherwise a POST here gets Django's HTML CSRF page
def unknown_endpoint(request):
    """Anything under /api/v1/ that matches no operation: a problem+json 404, not an HTML page."""
    return problem_response(request, NotFound(f"No API endpoint {request.path}; see /api/v1/docs.",
                                              type="no-such-endpoint"))


def _register_routers() -> None:
    from shequn.loyalty.api import router as loyalty_router
    from shequn.members.api import router as members_router
    from shequn.stores.api import router as stores_router

    api.add_router("/stores", stores_router)
    api.add_router("/members", members_router)
    api.add_router("", loyalty_router)

    from shequn.communities import api as groups_api
    from shequn.communities import api_activation, api_health

    api.add_router("", groups_api.router)
    api.add_router("", api_activation.router)
    api.add_router("", api_health.router)

    from shequn.commerce import api as commerce_api

    api.add_router("", commerce_api.router)

    from shequn.commerce.flash import api as flash_api
    from shequn.commerce.teams import api as teams_api

    api.add_router("", teams_api.router)
    api.add_router("", flash_api.router)

    from shequn.commerce.referral import api as referral_api

    api.add_router("", referral_api.router)

    from shequn.commerce.coupons import api as coupons_api

    api.add_router("", coupons_api.router)

    from shequn.commerce.groupbuy import api as groupbuy_api

    api.add_router("", groupbuy_api.router)

    from shequn.analytics import api as analytics_api

    api.add_router("", analytics_api.router)

    from shequn.analytics import rfm_api

    api.add_router("", rfm_api.router)

    from shequn.analytics.segments import api as segments_api
    from shequn.analytics.segments import tags_api

    api.add_router("", segments_api.router)
    api.add_router("", tags_api.router)

    from shequn.analytics import profile_api

    api.add_router("", profile_api.router)

    from shequn.messaging import api as messaging_api

    api.add_router("", messaging_api.router)

    from shequn.messaging.webhooks import api as webhooks_api

    api.add_router("", webhooks_api.router)


_register_routers()
