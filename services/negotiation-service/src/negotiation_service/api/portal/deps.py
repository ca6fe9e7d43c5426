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
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, TypeVar
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from negotiation_service.api.deps import SettingsDep, UowDep
from negotiation_service.api.portal import views
from negotiation_service.service_layer.keys import PortalKeys
from negotiation_service.service_layer.portal import PORTAL_CHANNELS, creditor_of, is_revoked
from negotiation_service.settings import Settings
from regua_br.rate_limit import RateLimiter
from regua_br.tokens import (
    ExpiredToken,
    InvalidToken,
    LinkClaims,
    SessionClaims,
    csrf_token,
    csrf_valid,
    sign_session,
    verify_link,
    verify_session,
)
from regua_platform.app import ClockDep, runtime_of

log = logging.getLogger("negotiation.portal")
#: The session cookie (``__Host-`` prefixed over HTTPS).
COOKIE = "regua_portal"
#: A device that answered the first-device challenge for a debtor.
DEVICE_COOKIE = "regua_portal_device"
#: The nonce the challenge form's CSRF token is bound to (no session yet).
CHALLENGE_COOKIE = "regua_portal_challenge"
MAX_FORM_BYTES = 20_000
MAX_FORM_FIELDS = 200


class Answer(Exception):
    """Raised by a dependency: answer the request with ``response`` instead of the endpoint's."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class PortalRoute(APIRoute):
    """A route of the portal: an :class:`Answer` raised while solving its
    dependencies is its response, and every response carries the portal's
    security headers (CSP, no framing, no caching of debt data ...)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handle(request)
            except Answer as exc:
                response = exc.response
            except RequestValidationError:
                response = views.not_found()
            return views.secured(response, https=runtime_of(request).settings.portal_https)

        return answer


# Made once per running service.

#: The portal's keys (from ``portal_keys``: never the JWT secret).
Keys = PortalKeys


async def _keys(request: Request, settings: SettingsDep) -> PortalKeys:
    extras = runtime_of(request).extras
    keys = extras.get("portal_keys")
    if not isinstance(keys, PortalKeys):
        keys = extras["portal_keys"] = PortalKeys.of(settings)
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


KeysDep = Annotated[PortalKeys, Depends(_keys)]
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


@dataclass(frozen=True, slots=True)
class Cookies:
    """The portal's cookies: ``HttpOnly``, ``SameSite=Lax``; over HTTPS also
    ``Secure`` with the ``__Host-`` prefix (which requires ``Path=/``)."""

    https: bool

    def name(self, base: str) -> str:
        return f"__Host-{base}" if self.https else base

    def read(self, request: Request, base: str) -> str | None:
        return request.cookies.get(self.name(base))

    def put(self, response: Response, base: str, value: str, max_age: int) -> None:
        response.set_cookie(
            self.name(base),
            value,
            max_age=max(0, max_age),
            path="/" if self.https else "/portal",
            httponly=True,
            samesite="lax",
            secure=self.https,
        )

    def drop(self, response: Response, base: str) -> None:
        response.delete_cookie(
            self.name(base),
            path="/" if self.https else "/portal",
            httponly=True,
            samesite="lax",
            secure=self.https,
        )


def cookies_of(settings: Settings) -> Cookies:
    return Cookies(settings.portal_https)


def open_session(link: LinkClaims, keys: PortalKeys, settings: Settings, now: datetime) -> Response:
    """Home, with the session cookie of this link: it lasts the configured
    minutes, never beyond the link itself."""
    minutes = settings.portal_session_minutes
    session = SessionClaims(
        link.tenant_id, link.debtor_id, min(link.expires_at, now + timedelta(minutes=minutes)), issued_at=now
    )
    response = views.redirect("/portal")
    cookies_of(settings).put(
        response, COOKIE, sign_session(keys.session, session), int((session.expires_at - now).total_seconds())
    )
    cookies_of(settings).drop(response, CHALLENGE_COOKIE)
    return response


def remember_device(
    response: Response, link: LinkClaims, keys: PortalKeys, settings: Settings, now: datetime
) -> None:
    """Mark this device as one the debtor proved theirs on (signed, for ``portal_device_days``)."""
    days = settings.portal_device_days
    device = SessionClaims(link.tenant_id, link.debtor_id, now + timedelta(days=days), issued_at=now)
    cookies_of(settings).put(response, DEVICE_COOKIE, sign_session(keys.device, device), days * 86_400)


async def known_device(
    request: Request, link: LinkClaims, keys: PortalKeys, settings: Settings, uow: UowDep, now: datetime
) -> bool:
    """Whether this device answered the challenge for the link's debtor (and
    was not revoked since)."""
    cookie = cookies_of(settings).read(request, DEVICE_COOKIE)
    if not cookie:
        return False
    try:
        device = verify_session(keys.device, cookie, now=now)
    except InvalidToken:
        return False
    if (device.tenant_id, device.debtor_id) != (link.tenant_id, link.debtor_id):
        return False
    return not await is_revoked(uow, device.tenant_id, device.debtor_id, device.issued_at)


def challenge_nonce(request: Request, settings: Settings) -> str | None:
    return cookies_of(settings).read(request, CHALLENGE_COOKIE)


def challenge_csrf(keys: PortalKeys, nonce: str) -> str:
    """The challenge form's CSRF token, bound to the nonce in its cookie."""
    return csrf_token(keys.csrf, f"challenge:{nonce}")


def challenge_csrf_valid(keys: PortalKeys, nonce: str | None, token: str) -> bool:
    return bool(nonce) and csrf_valid(keys.csrf, f"challenge:{nonce}", token)


def challenge_page(action: str, keys: PortalKeys, settings: Settings) -> Response:
    """The challenge form, with a fresh nonce in the challenge cookie (10 minutes)
    that its CSRF token is bound to."""
    nonce = secrets.token_urlsafe(24)
    response = views.challenge(action, challenge_csrf(keys, nonce))
    cookies_of(settings).put(response, CHALLENGE_COOKIE, nonce, 600)
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


async def _visit(
    request: Request, keys: KeysDep, limiter: LimiterDep, now: NowDep, settings: SettingsDep, uow: UowDep
) -> Visit:
    """The session of this request (not revoked since it began); rate limited
    per debtor (per client address without one)."""
    cookie = cookies_of(settings).read(request, COOKIE)
    session = None
    if cookie:
        try:
            session = verify_session(keys.session, cookie, now=now)
        except InvalidToken:
            session = None
    if session is not None and await is_revoked(uow, session.tenant_id, session.debtor_id, session.issued_at):
        session = None
    _allow(limiter, f"debtor:{session.debtor_id}" if session else _client(request))
    if session is None or cookie is None:
        raise Answer(views.session_ended())
    return Visit(session, cookie, csrf_token(keys.csrf, cookie))


async def _api_visit(
    request: Request, keys: KeysDep, limiter: LimiterDep, now: NowDep, settings: SettingsDep, uow: UowDep
) -> Visit:
    try:
        return await _visit(request, keys, limiter, now, settings, uow)
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


class LogoutForm(PortalForm):
    refused_title = "Não foi possível sair"


def _typed(value: object) -> str:
    """The challenge answer as typed: a short text (longer input is cut)."""
    return str(_first(value))[:20]


class ChallengeForm(PortalForm):
    """The first-device challenge: the first 3 characters of the CPF/CNPJ."""

    digits: Annotated[str, BeforeValidator(_typed)] = Field(default="", alias="digitos")


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
LogoutFormDep = Annotated[LogoutForm, Depends(csrf_checked(LogoutForm))]


async def challenge_form(request: Request) -> ChallengeForm:
    """The posted challenge form (its CSRF token is checked by the endpoint)."""
    return ChallengeForm.model_validate(await _posted(request))


ChallengeFormDep = Annotated[ChallengeForm, Depends(challenge_form)]
