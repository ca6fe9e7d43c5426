"""The access each route of invoice-service declares (see ``regua_platform.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from regua_platform.auth import ADMIN_SCOPE, Principal, require_scope

#: Issue invoices (one or a batch) and change their state (cancel).
InvoicesWrite = Annotated[Principal, Depends(require_scope("invoices:write"))]
InvoicesRead = Annotated[Principal, Depends(require_scope("invoices:read"))]
#: Create debtors and change their contacts, preferences and consents.
DebtorsWrite = Annotated[Principal, Depends(require_scope("debtors:write"))]
DebtorsRead = Annotated[Principal, Depends(require_scope("debtors:read"))]
#: The tenant's rates, time zone and holidays: they price every new invoice.
Admin = Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))]
