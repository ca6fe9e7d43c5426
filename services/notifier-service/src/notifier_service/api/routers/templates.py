from __future__ import annotations

from fastapi import APIRouter

from notifier_service.api.schemas import TemplateRead
from notifier_service.api.scopes import MessagesRead
from notifier_service.domain.templates import TEMPLATES

router = APIRouter(prefix="/v1/templates", tags=["templates"])


@router.get("", summary="The built-in pt-BR templates, their channels and tones")
async def list_templates(principal: MessagesRead) -> list[TemplateRead]:
    return [
        TemplateRead(name=t.name, description=t.description, channels=list(t.channels), tones=list(t.tones))
        for t in TEMPLATES.values()
    ]
