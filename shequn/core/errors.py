"""RFC 9457 problem details with stable type slugs."""

from typing import Any

from django.http import HttpRequest, JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """A business error a client can act on; rendered as problem+json."""

    status = 400
    type = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str = "", *, status: int | None = None, type: str | None = None,
                 title: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or (title or self.title)
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        if title is not None:
            self.title = title
        self.extra = extra

    def body(self, instance: str = "") -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            data["instance"] = instance
        data.update(self.extra)
        return data


class NotFound(Problem):
    status, type, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, type, title = 409, "conflict", "Conflict"


class ValidationProblem(Problem):
    status, type, title = 422, "validation-error", "Invalid input"


class PermissionDenied(Problem):
    status, type, title = 403, "forbidden", "Forbidden"


class Unauthorized(Problem):
    status, type, title = 401, "unauthorized", "Authentication required"


def problem_response(request: HttpRequest | None, problem: Problem) -> JsonResponse:
    instance = request.path if request is not None else ""
    response = JsonResponse(
        problem.body(instance), status=problem.status, content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    if problem.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="shequn"'
    return response
