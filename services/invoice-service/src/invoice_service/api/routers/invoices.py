"""``/v1/invoices``: issue (one or a batch), read with today's amount due, the
amount due on any day, list, cancel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import ValidationError

from invoice_service.api.deps import SettingsDep, UowDep, UowFactoryDep, seq_after
from invoice_service.api.schemas import (
    AmountDueRead,
    BatchItem,
    BatchResult,
    BatchRowError,
    InvoiceCreate,
    InvoiceRead,
    IsoDate,
)
from invoice_service.api.scopes import InvoicesRead, InvoicesWrite
from invoice_service.domain.batch import (
    MAX_LINE_CHARS,
    MAX_NUMBER_DIGITS,
    BatchFormatError,
    ParsedBatch,
    parse_csv,
    parse_ndjson,
)
from invoice_service.domain.invoices import InvoiceStatus
from invoice_service.service_layer import invoices as use_cases
from invoice_service.service_layer.invoices import InvoiceFields
from invoice_service.service_layer.unit_of_work import InvoiceUnitOfWork
from invoice_service.settings import BATCH_BODY_LIMIT
from regua_platform.app import ClockDep
from regua_platform.openapi import problems
from regua_platform.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, SeqCursor, encode_cursor
from regua_platform.problems import Problem

router = APIRouter(prefix="/v1", tags=["invoices"])

BATCH_PATH = "/v1/invoices:batch"
NO_NUL = "^[^\\x00]*$"
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/jsonlines"})
CSV_TYPES = frozenset({"text/csv"})


async def _today(uow: InvoiceUnitOfWork, tenant_id: UUID) -> date:
    return (await uow.tenant_settings.get(tenant_id)).local_date(uow.clock.now())


@router.post(
    "/invoices",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an invoice (idempotent per external_id: 200 with the same body, 409 with another)",
    responses={
        200: {"model": InvoiceRead, "description": "The same invoice was posted before"},
        **problems(
            400,
            404,
            409,
            _400="The body is not JSON",
            _404="debtor_id names no debtor of this tenant",
            _409="external_id taken with other data",
        ),
    },
)
async def create_invoice(
    body: InvoiceCreate, principal: InvoicesWrite, uow: UowDep, response: Response
) -> InvoiceRead:
    invoice, created = await use_cases.create_invoice(
        uow, principal.tenant_id, InvoiceFields(**body.model_dump()), now=uow.clock.now()
    )
    await uow.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return InvoiceRead.of(invoice, today=await _today(uow, principal.tenant_id))


@router.post(
    BATCH_PATH.removeprefix("/v1"),
    summary="Issue many invoices: JSON lines (application/x-ndjson) or CSV (text/csv, header row)",
    description=(
        "Valid rows are kept, invalid ones reported with their row number (1 = first data row; "
        "for JSON lines, the line number). CSV columns: external_id, debtor_id, amount_cents, "
        "due_date, description (optional). The body is read and split into rows first (a body that "
        "is too large, not UTF-8 or has a bad CSV header is refused before anything is written); "
        "rows are then written in chunks, each chunk in its own transaction. A request that dies "
        "midway leaves the chunks already written: send the same file again and those rows come "
        "back under `existing` (an external_id is issued once per tenant), the others are created.\n\n"
        f"At most {BATCH_BODY_LIMIT // 2**20} MiB and `batch_max_rows` rows (10,000 by default). A body "
        "that cannot be read as rows at all is refused whole (422, nothing written): not UTF-8, a NUL "
        f"character, a line over {MAX_LINE_CHARS} characters, JSON nested deeper than the parser "
        f"allows, a number of more than {MAX_NUMBER_DIGITS} digits, a malformed CSV. Rows that are "
        "read but are not valid invoices (not JSON, wrong types or values) are reported one by one."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {
                        "type": "string",
                        "description": (
                            "One JSON object per line, each a `POST /v1/invoices` body "
                            "(external_id, debtor_id, amount_cents, due_date, description), e.g. "
                            '`{"external_id":"inv-1","debtor_id":"6f1c2a8e-0000-4000-8000-000000000001",'
                            '"amount_cents":15000,"due_date":"2026-04-10"}`'
                        ),
                        "pattern": NO_NUL,
                    },
                },
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": (
                            "A header row naming the columns external_id, debtor_id, amount_cents, "
                            "due_date and (optionally) description, then one invoice per row, e.g. "
                            "`external_id,debtor_id,amount_cents,due_date,description` then "
                            "`inv-1,6f1c2a8e-0000-4000-8000-000000000001,15000,2026-04-10,Mensalidade`"
                        ),
                        "pattern": NO_NUL,
                    },
                },
            },
        }
    },
    responses=problems(
        413,
        415,
        422,
        _413=f"The body is larger than {BATCH_BODY_LIMIT // 2**20} MiB",
        _415="Not application/x-ndjson nor text/csv",
        _422="The body cannot be read as rows (see above), too many rows, or a bad CSV header",
    ),
)
async def create_invoices_batch(
    request: Request,
    principal: InvoicesWrite,
    new_uow: UowFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
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
    return await load_batch(
        new_uow, principal.tenant_id, parsed, now=clock.now(), chunk_rows=settings.batch_chunk_rows
    )


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


def _validated(
    rows: list[tuple[int, dict[str, object]]], errors: list[BatchRowError]
) -> list[tuple[int, InvoiceFields]]:
    """The rows that are valid ``POST /v1/invoices`` bodies; the others reported in ``errors``."""
    valid: list[tuple[int, InvoiceFields]] = []
    for row, raw in rows:
        try:
            body = InvoiceCreate.model_validate(raw)
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
            continue
        valid.append((row, InvoiceFields(**body.model_dump())))
    return valid


async def load_batch(
    new_uow: Callable[[], InvoiceUnitOfWork],
    tenant_id: UUID,
    parsed: ParsedBatch,
    *,
    now: datetime,
    chunk_rows: int,
) -> BatchResult:
    """Validate and write ``parsed`` ``chunk_rows`` rows at a time, one
    transaction per chunk (the edge of a bulk load is the chunk: a failure
    keeps the chunks committed before it, and a retry finds them existing)."""
    errors = [BatchRowError(row=e.row, status=422, detail=e.detail) for e in parsed.errors]
    created: list[BatchItem] = []
    existing: list[BatchItem] = []
    for start in range(0, len(parsed.rows), chunk_rows):
        valid = _validated(parsed.rows[start : start + chunk_rows], errors)
        if not valid:
            continue
        async with new_uow() as uow:
            outcome = await use_cases.create_invoices(uow, tenant_id, valid, now=now)
            await uow.commit()
        created += [BatchItem(row=r, id=i.id, external_id=i.external_id) for r, i in outcome.created]
        existing += [BatchItem(row=r, id=i.id, external_id=i.external_id) for r, i in outcome.existing]
        errors += [
            BatchRowError(row=r, external_id=f.external_id, status=exc.status, detail=exc.detail)
            for r, f, exc in outcome.errors
        ]
    errors.sort(key=lambda e: e.row)
    return BatchResult(
        received=len(parsed.rows) + len(parsed.errors), created=created, existing=existing, errors=errors
    )


@router.get(
    "/invoices",
    summary="List invoices, oldest first, with today's amounts",
    responses=problems(400, _400="A malformed cursor"),
)
async def list_invoices(
    principal: InvoicesRead,
    uow: UowDep,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    debtor_id: UUID | None = None,
    agreement_id: Annotated[
        UUID | None, Query(description="Only the installment invoices of this agreement")
    ] = None,
    due_before: Annotated[
        IsoDate | None, Query(description="Only invoices due strictly before this date")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: SeqCursor = None,
) -> Page[InvoiceRead]:
    rows = await uow.invoices.page(
        principal.tenant_id,
        status=status_,
        debtor_id=debtor_id,
        agreement_id=agreement_id,
        due_before=due_before,
        after_seq=seq_after(cursor),
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    today = await _today(uow, principal.tenant_id)
    return Page(
        items=[InvoiceRead.of(i, today=today) for _, i in rows],
        next_cursor=encode_cursor(rows[-1][0]) if more else None,
    )


@router.get(
    "/invoices/{invoice_id:uuid}",  # only an id: "<id>:cancel" is another route
    summary="One invoice with its amount due today (tenant time zone)",
    responses=problems(404),
)
async def get_invoice(invoice_id: UUID, principal: InvoicesRead, uow: UowDep) -> InvoiceRead:
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
    responses=problems(404, 422, _404="No such invoice", _422="Bad or too early date"),
)
async def get_amount_due(
    invoice_id: UUID,
    principal: InvoicesRead,
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
    responses=problems(404, 409, _409="The invoice is paid, or not cancellable in its state"),
)
async def cancel_invoice(invoice_id: UUID, principal: InvoicesWrite, uow: UowDep) -> InvoiceRead:
    invoice = await use_cases.cancel_invoice(uow, principal.tenant_id, invoice_id, now=uow.clock.now())
    await uow.commit()
    return InvoiceRead.of(invoice, today=await _today(uow, principal.tenant_id))
