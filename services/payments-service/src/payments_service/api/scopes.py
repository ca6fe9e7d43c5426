"""The access each route of payments-service needs (README's scope table):
settings (Pix, PSP, bank) ``admin``; payments and charges ``payments:read``;
refunds ``payments:write``; webhooks are public, authenticated by their HMAC."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from regua_platform.auth import ADMIN_SCOPE, Principal, require_scope

Admin = Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))]
PaymentsRead = Annotated[Principal, Depends(require_scope("payments:read"))]
PaymentsWrite = Annotated[Principal, Depends(require_scope("payments:write"))]
