"""The access each route of notifier-service declares (see ``regua_platform.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from regua_platform.auth import ADMIN_SCOPE, Principal, require_scope

#: Deliveries and the built-in templates.
MessagesRead = Annotated[Principal, Depends(require_scope("messages:read"))]
#: The creditor named in messages and the portal URL their links point to.
Admin = Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))]
