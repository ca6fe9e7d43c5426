"""``/v1/settings/psp`` and ``/v1/settings/bank``: the tenant's PSP account
(Pix cobv through the API Pix) and its beneficiary account at its bank
(registered boletos). Client secrets are stored encrypted and never returned."""

from __future__ import annotations

from uuid import uuid4

from fastapi import APIRouter, Response

from payments_service.api.deps import SecretBoxDep, SettingsDep, UowDep
from payments_service.api.schemas import (
    BankAccountRead,
    BankAccountUpdate,
    PspAccountRead,
    PspAccountUpdate,
    plain_http_refused,
)
from payments_service.api.scopes import Admin
from payments_service.domain.accounts import BankAccount, PspAccount
from regua_platform.errors import Conflict, NotFound, RuleViolated
from regua_platform.openapi import problems

router = APIRouter(prefix="/v1/settings", tags=["settings"])


def _check_plain_http(settings: SettingsDep, *urls: str | None) -> None:
    for url in urls:
        if reason := plain_http_refused(url, settings.gateways.plain_http_hosts):
            raise RuleViolated(reason)


@router.put(
    "/psp",
    responses=problems(400, 422),
    summary="Set the tenant's PSP account: invoices get a cobv there from now on",
)
async def put_psp_account(
    body: PspAccountUpdate, principal: Admin, uow: UowDep, box: SecretBoxDep, settings: SettingsDep
) -> PspAccountRead:
    _check_plain_http(settings, body.base_url, body.token_url)
    account = PspAccount(
        tenant_id=principal.tenant_id,
        base_url=body.base_url,
        token_url=body.token_url,
        client_id=body.client_id,
        client_secret_encrypted=box.encrypt(body.client_secret),
        client_secret_last4=body.client_secret[-4:],
        pix_key=body.pix_key.strip(),
        client_cert_path=body.client_cert_path,
        client_key_path=body.client_key_path,
        ca_bundle_path=body.ca_bundle_path,
        days_valid_after_due=body.days_valid_after_due,
        updated_at=uow.clock.now(),
    )
    await uow.psp_accounts.put(account)
    # Read back in the same transaction: a DELETE committed right after ours
    # must not turn this answer into a 500.
    stored = await uow.psp_accounts.get(principal.tenant_id)
    assert stored is not None
    await uow.commit()
    return PspAccountRead.model_validate(stored, from_attributes=True)


@router.get(
    "/psp",
    responses=problems(404),
    summary="The tenant's PSP account (the client secret only as its last 4 characters)",
)
async def get_psp_account(principal: Admin, uow: UowDep) -> PspAccountRead:
    account = await uow.psp_accounts.get(principal.tenant_id)
    if account is None:
        raise NotFound("This tenant has no PSP account: its invoices get no Pix cobv.")
    return PspAccountRead.model_validate(account, from_attributes=True)


@router.delete(
    "/psp",
    status_code=204,
    responses=problems(404),
    summary="Forget the PSP account: new invoices get no Pix cobv",
)
async def delete_psp_account(principal: Admin, uow: UowDep) -> Response:
    if not await uow.psp_accounts.delete(principal.tenant_id):
        raise NotFound("This tenant has no PSP account.")
    await uow.commit()
    return Response(status_code=204)


@router.put(
    "/bank",
    responses=problems(400, 409, 422),
    summary="Set the tenant's beneficiary account: invoices get a registered boleto",
)
async def put_bank_account(
    body: BankAccountUpdate, principal: Admin, uow: UowDep, box: SecretBoxDep, settings: SettingsDep
) -> BankAccountRead:
    _check_plain_http(settings, body.base_url)
    account = await uow.bank_accounts.put(
        BankAccount(
            id=uuid4(),
            tenant_id=principal.tenant_id,
            base_url=body.base_url,
            client_id=body.client_id,
            client_secret_encrypted=box.encrypt(body.client_secret),
            client_secret_last4=body.client_secret[-4:],
            bank_code=body.bank_code,
            agency=body.agency,
            account=body.account,
            agreement=body.agreement,
            wallet=body.wallet,
            beneficiary_name=body.beneficiary_name,
            beneficiary_document=body.beneficiary_document,
            days_valid_after_due=body.days_valid_after_due,
            updated_at=uow.clock.now(),
        )
    )
    if account is None:
        raise Conflict("This bank account and agreement belong to another tenant.")
    await uow.commit()
    return BankAccountRead.model_validate(account, from_attributes=True)


@router.get(
    "/bank",
    responses=problems(404),
    summary="The tenant's beneficiary account (the client secret only as its last 4 characters)",
)
async def get_bank_account(principal: Admin, uow: UowDep) -> BankAccountRead:
    account = await uow.bank_accounts.current(principal.tenant_id)
    if account is None:
        raise NotFound("This tenant has no bank account: its invoices get no boleto.")
    return BankAccountRead.model_validate(account, from_attributes=True)
