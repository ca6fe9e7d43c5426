"""The access each API route of negotiation-service declares (see
``regua_platform.auth``); the portal's pages declare ``public(...)`` instead."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from regua_platform.auth import ADMIN_SCOPE, Principal, require_scope

AgreementsRead = Annotated[Principal, Depends(require_scope("agreements:read"))]
AgreementsWrite = Annotated[Principal, Depends(require_scope("agreements:write"))]
OffersRead = Annotated[Principal, Depends(require_scope("offers:read"))]
OffersWrite = Annotated[Principal, Depends(require_scope("offers:write"))]
#: Revoking a debtor's portal links.
DebtorsWrite = Annotated[Principal, Depends(require_scope("debtors:write"))]
#: The portal's creditor settings.
Admin = Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))]
