"""The dashboard's web application (Starlette + Jinja2): four pages over a read-only store.

Access needs the token (``Authorization: Bearer``, or ``?token=`` once, which sets a
same-site, HTTP-only cookie and redirects to the page without it), compared in constant
time; ``token=None`` serves without one (``--no-token``, on a loopback address only).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from oleg_dashboard import pages
from oleg_dashboard.source import ReadOnlyStore

COOKIE = "oleg_dashboard"
TEMPLATES = Path(__file__).parent / "templates"


class TokenAuth(BaseHTTPMiddleware):
    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self._token = token.encode()

    def _ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self._token)

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        header = request.headers.get("authorization", "")
        bearer = header[7:] if header.lower().startswith("bearer ") else None
        if self._ok(bearer) or self._ok(request.cookies.get(COOKIE)):
            return await call_next(request)
        if self._ok(request.query_params.get("token")):
            rest = urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            )
            response = RedirectResponse(
                request.url.path + (f"?{rest}" if rest else ""), status_code=303
            )
            response.set_cookie(
                COOKIE, request.query_params["token"], httponly=True, samesite="strict"
            )
            return response
        return PlainTextResponse(
            "401 Unauthorized: this dashboard needs its token (open it with ?token=..., or send "
            "Authorization: Bearer ...).",
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def create_app(store: ReadOnlyStore, *, token: str | None, title: str) -> Starlette:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["when"] = _when
    templates.env.filters["pct"] = lambda v: "-" if v is None else f"{v:.1%}"
    templates.env.filters["num"] = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"

    def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        base = {
            "title": title,
            "store_url": store.display_url,
            "has_tdlib": store.has_tdlib,
            "now": datetime.now(UTC),
        }
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    def overview(request: Request) -> Response:
        return render(request, "overview.html", pages.overview(store))

    def models(request: Request) -> Response:
        return render(request, "models.html", pages.models(store))

    def channels(request: Request) -> Response:
        return render(request, "channels.html", pages.channels(store))

    def subscribers(request: Request) -> Response:
        key = request.query_params.get("q", "").strip()
        if key:
            found = pages.find(store, key)
            if found is not None:
                return RedirectResponse(f"/subscribers/{found}", status_code=303)
        return render(
            request,
            "subscribers.html",
            {**pages.subscriber_list(store), "q": key, "missing": bool(key)},
        )

    def subscriber(request: Request) -> Response:
        context = pages.subscriber(store, request.path_params["key"])
        if context is None:
            return render(
                request,
                "subscribers.html",
                {**pages.subscriber_list(store), "q": request.path_params["key"], "missing": True},
                404,
            )
        return render(request, "subscriber.html", context)

    routes = [
        Route("/", overview),
        Route("/models", models),
        Route("/channels", channels),
        Route("/subscribers", subscribers),
        Route("/subscribers/{key}", subscriber),
    ]
    middleware = [Middleware(TokenAuth, token=token)] if token is not None else []
    return Starlette(routes=routes, middleware=middleware)
