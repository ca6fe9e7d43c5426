"""The access each route of scheduler-service declares (see ``regua_platform.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from regua_platform.auth import Principal, require_scope

PoliciesWrite = Annotated[Principal, Depends(require_scope("policies:write"))]
PoliciesRead = Annotated[Principal, Depends(require_scope("policies:read"))]
#: An invoice's planned steps are part of what the tenant knows about the invoice.
InvoicesRead = Annotated[Principal, Depends(require_scope("invoices:read"))]
