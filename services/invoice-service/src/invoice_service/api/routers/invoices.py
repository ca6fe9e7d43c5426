"""``/v1/invoices``: issue (one or a batch), read with today's amount due, the
amount due on any day, list, cancel."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError

from invoice_service.api.deps import SettingsDep, UowDep
from invoice_service.api.schemas import (
    AmountDueRead,
    BatchItem,
    BatchResult,
    BatchRowError,
    InvoiceCreate,
    InvoiceRead,
    IsoDate,
)
from invoice_service.domain.batch import BatchFormatError, ParsedBatch, parse_csv, parse_ndjson
from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.service_layer import invoices as use_cases
from invoice_service.service_layer.invoices import InvoiceFields
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from regua_platform.auth import PrincipalDep
from regua_platform.errors import DomainError
from regua_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1", tags=["invoices"])

NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/jsonlines"})
CSV_TYPES = frozenset({"text/csv"})


async def _today(uow: InvoiceUnitOfWork, tenant_id: UUID) -> date:
    return (await uow.tenant_settings.get(tenant_id)).local_date(uow.clock.now())


@router.post(
    "/invoices",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an invoice (idempotent per external_id: 200 with the same body, 409 with another)",
    responses={200: {"model": InvoiceRead}, 409: {"description": "external_id taken with other data"}},
)
async def create_invoice(
    body: InvoiceCreate, principal: PrincipalDep, uow: UowDep, response: Response
) -> InvoiceRead:
    invoice, created = await use_cases.create_invoice(
        uow, principal.tenant_id, InvoiceFields(**body.model_dump()), now=uow.clock.now()
    )
    await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return InvoiceRead.of(invoice, today=await _today(uow, principal.tenant_id))


@router.post(
    "/invoices:batch",
    summary="Issue many invoices: JSON lines (application/x-ndjson) or CSV (text/csv, header row)",
    description=(
        "Valid rows are kept, invalid ones reported with their row number (1 = first data row; "
        "for JSON lines, the line number). CSV columns: external_id, debtor_id, amount_cents, "
        "due_date, description (optional)."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def create_invoices_batch(
    request: Request, principal: PrincipalDep, uow: UowDep, settings: SettingsDep
) -> BatchResult:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in NDJSON_TYPES | CSV_TYPES:
        raise Problem(415, "Unsupported media type", "Send application/x-ndjson or text/csv.")
    text = await _read_body(request, settings.batch_max_bytes)
    try:
        parse = parse_csv if media_type in CSV_TYPES else parse_ndjson
        parsed = parse(text, max_rows=settings.batch_max_rows)
    except BatchFormatError as exc:
        raise Problem(422, "Invalid batch", str(exc)) from None
    result = await _load(uow, principal.tenant_id, parsed)
    await uow.commit()
    return result


async def _read_body(request: Request, limit: int) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, "Batch too large", f"A batch body holds at most {limit} bytes.")
        chunks.append(chunk)
    try:
        # utf-8-sig: spreadsheet exports often start with a byte-order mark.
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(422, "Invalid batch", "The body must be UTF-8 text.") from None


async def _load(uow: InvoiceUnitOfWork, tenant_id: UUID, parsed: ParsedBatch) -> BatchResult:
    errors = [BatchRowError(row=e.row, status=422, detail=e.detail) for e in parsed.errors]
    valid: list[tuple[int, InvoiceCreate]] = []
    for row, raw in parsed.rows:
        try:
            valid.append((row, InvoiceCreate.model_validate(raw)))
        except ValidationError as exc:
            external_id = raw.get("external_id")
            errors.append(
                BatchRowError(
                    row=row,
                    external_id=external_id if isinstance(external_id, str) else None,
                    status=422,
                    detail="; ".join(
                        f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}"
                        for e in exc.errors(include_url=False)
                    ),
                )
            )
    known = await uow.debtors.existing_ids(tenant_id, [body.debtor_id for _, body in valid])
    settings = await uow.tenant_settings.get(tenant_id)
    now = uow.clock.now()
    created: list[BatchItem] = []
    existing: list[BatchItem] = []
    for row, body in valid:
        try:
            invoice, was_created = await use_cases.create_invoice(
                uow,
                tenant_id,
                InvoiceFields(**body.model_dump()),
                now=now,
                known_debtors=known,
                settings=settings,
            )
        except DomainError as exc:
            errors.append(
                BatchRowError(row=row, external_id=body.external_id, status=exc.status, detail=exc.detail)
            )
            continue
        item = BatchItem(row=row, id=invoice.id, external_id=invoice.external_id)
        (created if was_created else existing).append(item)
    errors.sort(key=lambda e: e.row)
    return BatchResult(
        received=len(parsed.rows) + len(parsed.errors), created=created, existing=existing, errors=errors
    )


@router.get("/invoices", summary="List invoices, oldest first, with today's amounts")
async def list_invoices(
    principal: PrincipalDep,
    uow: UowDep,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    debtor_id: UUID | None = None,
    agreement_id: Annotated[
        UUID | None, Query(description="Only the installment invoices of this agreement")
    ] = None,
    due_before: Annotated[
        date | None, Query(description="Only invoices due strictly before this date")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[InvoiceRead]:
    rows = await uow.invoices.page(
        principal.tenant_id,
        status=status_,
        debtor_id=debtor_id,
        agreement_id=agreement_id,
        due_before=due_before,
        after_seq=after[0] if (after := decode_cursor(cursor, int)) else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    today = await _today(uow, principal.tenant_id)
    return Page(
        items=[InvoiceRead.of(i, today=today) for _, i in rows],
        next_cursor=encode_cursor(rows[-1][0]) if more else None,
    )


@router.get("/invoices/{invoice_id}", summary="One invoice with its amount due today (tenant time zone)")
async def get_invoice(invoice_id: UUID, principal: PrincipalDep, uow: UowDep) -> InvoiceRead:
    invoice = await use_cases.get_invoice(uow, principal.tenant_id, invoice_id)
    return InvoiceRead.of(invoice, today=await _today(uow, principal.tenant_id))


@router.get(
    "/invoices/{invoice_id}/amount-due",
    summary="What the invoice amounts to on a day (principal, fine, interest, paid, due)",
    description=(
        "The breakdown by the amount rule (CC art. 354 imputation of the payments made up to that day, "
        "late fine on the principal open at the effective due date, default interest pro rata die on "
        "open principal) for the tenant-local date `on` (default: today). Payments after `on` are not "
        "counted. A date that is not YYYY-MM-DD is a 422; a date before the day the invoice was issued "
        "is a 422 too (payments made before Régua held the invoice are unknown)."
    ),
    responses={404: {"description": "No such invoice"}, 422: {"description": "Bad or too early date"}},
)
async def get_amount_due(
    invoice_id: UUID,
    principal: PrincipalDep,
    uow: UowDep,
    on: Annotated[IsoDate | None, Query(description="Tenant-local date, YYYY-MM-DD; default today")] = None,
) -> AmountDueRead:
    invoice, amount = await use_cases.amount_due_on(
        uow, principal.tenant_id, invoice_id, on=on, now=uow.clock.now()
    )
    return AmountDueRead.of(invoice, amount)


@router.post(
    "/invoices/{invoice_id}:cancel",
    summary="Cancel an invoice (no-op when already cancelled; 409 when paid)",
)
async def cancel_invoice(invoice_id: UUID, principal: PrincipalDep, uow: UowDep) -> InvoiceRead:
    invoice = await use_cases.cancel_invoice(uow, principal.tenant_id, invoice_id, now=uow.clock.now())
    await uow.commit()
    return InvoiceRead.of(invoice, today=await _today(uow, principal.tenant_id))
