"""What a portal request needs before its endpoint runs: the keys and the rate
limiter (made once per running service from its settings), the session cookie
verified into the debtor's :class:`Visit`, the :class:`~.views.Frame` every
page of the session is drawn in (its CSRF token and who is collecting), the
signed link, and the posted forms with their CSRF token checked.

A dependency that cannot provide raises :class:`Answer` with the page to show
instead (an expired session, a rate limit, a forged form); :class:`PortalRoute`
answers with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, TypeVar
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import Depends, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from negotiation_service.api.deps import SettingsDep, UowDep
from negotiation_service.api.portal import views
from negotiation_service.service_layer.portal import PORTAL_CHANNELS, creditor_of
from negotiation_service.settings import Settings
from regua_br.rate_limit import RateLimiter
from regua_br.tokens import (
    CSRF_INFO,
    LINK_INFO,
    SESSION_INFO,
    ExpiredToken,
    InvalidToken,
    Keyring,
    LinkClaims,
    SessionClaims,
    csrf_token,
    csrf_valid,
    derive_key,
    sign_session,
    verify_link,
    verify_session,
)
from regua_platform.app import ClockDep, runtime_of

log = logging.getLogger("negotiation.portal")
#: The session cookie, scoped to the portal's paths.
COOKIE = "regua_portal"
MAX_FORM_BYTES = 20_000
MAX_FORM_FIELDS = 200


class Answer(Exception):
    """Raised by a dependency: answer the request with ``response`` instead of the endpoint's."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PortalRoute(APIRoute):
    """A route of the portal: an :class:`Answer` raised while solving its dependencies is its response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except Answer as exc:
                return exc.response

        return answer


# Made once per running service.


@dataclass(frozen=True, slots=True)
class Keys:
    link: Keyring
    session: Keyring
    csrf: bytes

    @classmethod
    def of(cls, settings: Settings) -> Keys:
        configured = settings.auth.jwt_secret
        if configured is None:
            # Link keys derive from the JWT secret, as the notifier's do.
            raise RuntimeError("the portal needs auth.jwt_secret (link and session keys derive from it)")
        secret = configured.get_secret_value()
        return cls(
            Keyring.derived(secret, LINK_INFO),
            Keyring.derived(secret, SESSION_INFO),
            derive_key(secret, CSRF_INFO),
        )


async def _keys(request: Request, settings: SettingsDep) -> Keys:
    extras = runtime_of(request).extras
    keys = extras.get("portal_keys")
    if not isinstance(keys, Keys):
        keys = extras["portal_keys"] = Keys.of(settings)
    return keys


async def _limiter(request: Request, settings: SettingsDep) -> RateLimiter:
    """One token bucket per session (or client address), in this replica's memory."""
    extras = runtime_of(request).extras
    limiter = extras.get("portal_limiter")
    if not isinstance(limiter, RateLimiter):
        limiter = extras["portal_limiter"] = RateLimiter(
            settings.portal_rate_capacity, settings.portal_rate_per_second
        )
    return limiter


async def _now(clock: ClockDep) -> datetime:
    return clock.now()


KeysDep = Annotated[Keys, Depends(_keys)]
LimiterDep = Annotated[RateLimiter, Depends(_limiter)]
#: The instant of this request (one reading of the service's clock).
NowDep = Annotated[datetime, Depends(_now)]


def _allow(limiter: RateLimiter, key: str) -> None:
    if not limiter.allow(key, time.monotonic()):
        log.info("portal.rate_limited")
        raise Answer(views.rate_limited())


def _client(request: Request) -> str:
    return f"ip:{request.client.host if request.client else 'unknown'}"


async def _limit_client(request: Request, limiter: LimiterDep) -> None:
    _allow(limiter, _client(request))


#: Rate limit by client address (a route dependency of the pages without a session).
LimitClient = Depends(_limit_client)


# The link and the session.


async def _link(token: str, keys: KeysDep, now: NowDep) -> LinkClaims:
    try:
        return verify_link(keys.link, token, now=now)
    except ExpiredToken:
        log.info("portal.link.expired")
        raise Answer(views.link_expired()) from None
    except InvalidToken:
        log.info("portal.link.rejected")
        raise Answer(views.link_invalid()) from None


#: The claims of the signed link in the path (``{token}``), valid and unexpired.
LinkDep = Annotated[LinkClaims, Depends(_link)]


def open_session(link: LinkClaims, keys: Keys, settings: Settings, now: datetime) -> Response:
    """Home, with the session cookie of this link: it lasts the configured
    minutes, never beyond the link itself."""
    minutes = settings.portal_session_minutes
    session = SessionClaims(
        link.tenant_id, link.debtor_id, min(link.expires_at, now + timedelta(minutes=minutes))
    )
    response = views.redirect("/portal")
    response.set_cookie(
        COOKIE,
        sign_session(keys.session, session),
        max_age=int((session.expires_at - now).total_seconds()),
        path="/portal",
        httponly=True,
        samesite="lax",
        secure=settings.portal_secure_cookie,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@dataclass(frozen=True, slots=True)
class Visit:
    """A request within a valid session: whose it is, and its forms' CSRF token."""

    session: SessionClaims
    cookie: str
    csrf: str

    @property
    def tenant_id(self) -> UUID:
        return self.session.tenant_id

    @property
    def debtor_id(self) -> UUID:
        return self.session.debtor_id


async def _visit(request: Request, keys: KeysDep, limiter: LimiterDep, now: NowDep) -> Visit:
    """The session of this request; rate limited per debtor (per client address without one)."""
    cookie = request.cookies.get(COOKIE)
    session = None
    if cookie:
        try:
            session = verify_session(keys.session, cookie, now=now)
        except InvalidToken:
            session = None
    _allow(limiter, f"debtor:{session.debtor_id}" if session else _client(request))
    if session is None or cookie is None:
        raise Answer(views.session_ended())
    return Visit(session, cookie, csrf_token(keys.csrf, cookie))


async def _api_visit(request: Request, keys: KeysDep, limiter: LimiterDep, now: NowDep) -> Visit:
    try:
        return await _visit(request, keys, limiter, now)
    except Answer as refused:
        raise Answer(views.session_refused(refused.response)) from None


#: The debtor's session, or the page saying it ended (401) or to slow down (429).
VisitDep = Annotated[Visit, Depends(_visit)]


async def _frame(visit: VisitDep, uow: UowDep) -> views.Frame:
    return views.Frame(visit.csrf, views.creditor_block(await creditor_of(uow, visit.tenant_id)))


#: What every page of the session shows around its content: who is collecting
#: (CDC art. 42-A) and the forms' CSRF token.
FrameDep = Annotated[views.Frame, Depends(_frame)]
#: The same for the JSON API the pages call: ``{"error": "session"}`` with that status.
ApiVisitDep = Annotated[Visit, Depends(_api_visit)]


# Input.


def _uuid_or_none(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _uuids(values: list[str]) -> list[UUID] | None:
    """All of them, or None when one is not an id."""
    try:
        return [UUID(v) for v in values]
    except ValueError:
        return None


#: An id in the path; None when it is not one (the page answers "not found", not 422).
PathId = Annotated[UUID | None, BeforeValidator(_uuid_or_none)]


async def _chosen_invoices(fatura: Annotated[list[str] | None, Query()] = None) -> list[UUID] | None:
    return _uuids(fatura or [])


#: The invoices ticked on the negotiate page (``?fatura=...``); None when one is not an id.
ChosenInvoicesDep = Annotated[list[UUID] | None, Depends(_chosen_invoices)]


def _first(value: object) -> object:
    """A form field sent once: its first value ("" when sent empty)."""
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _offer_id(value: object) -> str:
    """Offer ids are 32 hex characters: longer input is cut."""
    return str(_first(value))[:64]


def _confirmed(value: object) -> bool:
    return _first(value) == "sim"


First = Annotated[str, BeforeValidator(_first)]


class PortalForm(BaseModel):
    """A form the portal posts, with the session's CSRF token; fields are read
    leniently (an odd field is a refused choice on the page, never a 422)."""

    model_config = ConfigDict(frozen=True)
    #: The title of the 403 page when the CSRF token does not match.
    refused_title: ClassVar[str]
    #: Whether that refusal is logged.
    log_refusal: ClassVar[bool] = False

    csrf: First = ""


class AcceptForm(PortalForm):
    refused_title = "Não foi possível confirmar"
    log_refusal = True

    invoice_ids: Annotated[list[UUID] | None, BeforeValidator(_uuids)] = Field(
        default_factory=list, alias="fatura"
    )
    offer_id: Annotated[str, BeforeValidator(_offer_id)] = Field(default="", alias="oferta")
    #: The "I read the conditions" box (``confirmo=sim``).
    confirmed: Annotated[bool, BeforeValidator(_confirmed)] = Field(default=False, alias="confirmo")

    def choice(self) -> tuple[list[UUID], str] | None:
        """The invoices and the offer, when the debtor chose both and confirmed."""
        if not self.invoice_ids or not self.offer_id or not self.confirmed:
            return None
        return self.invoice_ids, self.offer_id


class PrepayForm(PortalForm):
    refused_title = "Não foi possível quitar"
    log_refusal = True

    #: The "I want to pay the rest now" box (``confirmo=sim``).
    confirmed: Annotated[bool, BeforeValidator(_confirmed)] = Field(default=False, alias="confirmo")


class PreferencesForm(PortalForm):
    refused_title = "Não foi possível salvar"

    channels: list[str] = Field(default_factory=list, alias="canal")

    def wanted(self) -> dict[str, bool]:
        """Every portal channel: ticked or not."""
        return {c: c in self.channels for c in PORTAL_CHANNELS}


FormT = TypeVar("FormT", bound=PortalForm)


async def _posted(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}  # no token either: refused
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=MAX_FORM_FIELDS)
    except ValueError:  # more fields than any portal form has: refused like a missing token
        return {}


def csrf_checked(form: type[FormT]) -> Callable[..., Coroutine[Any, Any, FormT]]:
    """A dependency: the posted ``form``, once its CSRF token is this session's
    (the form's 403 page otherwise)."""

    async def check(request: Request, visit: VisitDep, keys: KeysDep, frame: FrameDep) -> FormT:
        posted = form.model_validate(await _posted(request))
        if not csrf_valid(keys.csrf, visit.cookie, posted.csrf):
            if form.log_refusal:
                log.info("portal.csrf.rejected", extra={"debtor_id": str(visit.debtor_id)})
            raise Answer(views.form_refused(form.refused_title, frame))
        return posted

    return check


AcceptFormDep = Annotated[AcceptForm, Depends(csrf_checked(AcceptForm))]
PrepayFormDep = Annotated[PrepayForm, Depends(csrf_checked(PrepayForm))]
PreferencesFormDep = Annotated[PreferencesForm, Depends(csrf_checked(PreferencesForm))]
