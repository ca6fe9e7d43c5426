"""The tenant's PSP and bank clients, built from their accounts on first use
and kept while the account is unchanged (one HTTP pool per account)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import httpx

from payments_service.adapters.bank_api import BankApiClient
from payments_service.adapters.crypto import SecretBox
from payments_service.adapters.gateway_http import gateway_http_client
from payments_service.adapters.pix_api import ApiPixClient
from payments_service.domain.accounts import BankAccount, PspAccount
from payments_service.domain.gateways import BankGateway, PixGateway


class HttpGateways:
    def __init__(self, box: SecretBox, *, timeout_s: float) -> None:
        self._box = box
        self._timeout_s = timeout_s
        self._pix: dict[UUID, tuple[datetime, PixGateway]] = {}
        self._banks: dict[UUID, tuple[datetime, BankGateway]] = {}
        self._clients: list[httpx.AsyncClient] = []

    def pix(self, account: PspAccount) -> PixGateway:
        known = self._pix.get(account.tenant_id)
        if known is not None and known[0] == account.updated_at:
            return known[1]
        http = gateway_http_client(
            timeout_s=self._timeout_s,
            client_cert=account.client_cert_path,
            client_key=account.client_key_path,
            ca_bundle=account.ca_bundle_path,
        )
        self._clients.append(http)
        client = ApiPixClient(
            base_url=account.base_url,
            client_id=account.client_id,
            client_secret=self._box.decrypt(account.client_secret_encrypted),
            pix_key=account.pix_key,
            http=http,
            token_url=account.token_url,
        )
        self._pix[account.tenant_id] = (account.updated_at, client)
        return client

    def bank(self, account: BankAccount) -> BankGateway:
        known = self._banks.get(account.id)
        if known is not None and known[0] == account.updated_at:
            return known[1]
        http = gateway_http_client(timeout_s=self._timeout_s)
        self._clients.append(http)
        client = BankApiClient(
            base_url=account.base_url,
            client_id=account.client_id,
            client_secret=self._box.decrypt(account.client_secret_encrypted),
            http=http,
        )
        self._banks[account.id] = (account.updated_at, client)
        return client

    async def close(self) -> None:
        for http in self._clients:
            await http.aclose()
        self._clients.clear()
        self._pix.clear()
        self._banks.clear()
