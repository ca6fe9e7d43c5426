"""The part of the Banco Central's API Pix we speak, transcribed as pydantic
models from bacen/pix-api ``openapi.yaml`` (version 2.8.1, the closest to 2.9.0
available to us; ``info.version`` "2.8.1"). Each class names the schema it
transcribes; fields, patterns, lengths and enums follow it. Where the YAML
writes a pattern as ``"/^\\d{11}$/"`` (slashes included) we use the regex it
means. Extra fields are refused (``extra="forbid"``) so a typo in a request or
a response fails validation instead of passing unnoticed.

The PSP sandbox validates every request body with these models, and the tests
validate every response the sandbox sends and every request the adapter of
payments-service builds.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

#: ``\d{1,10}\.\d{2}`` (every monetary field).
VALOR = r"^\d{1,10}\.\d{2}$"
#: schema ``TxId``.
TXID = r"^[a-zA-Z0-9]{26,35}$"
#: ``TxId`` narrowed in ``Pix`` (static codes' txids are shorter).
TXID_PIX = r"^[a-zA-Z0-9]{1,35}$"
#: schema ``EndToEndId``.
END_TO_END_ID = r"^[a-zA-Z0-9]{32}$"
CPF = r"^\d{11}$"
CNPJ = r"^\d{14}$"

CobrancaStatus = Literal["ATIVA", "CONCLUIDA", "REMOVIDA_PELO_USUARIO_RECEBEDOR", "REMOVIDA_PELO_PSP"]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Person(_Schema):
    """``PessoaFisica`` | ``PessoaJuridica``: exactly one of cpf/cnpj, and nome."""

    cpf: str | None = Field(default=None, pattern=CPF)
    cnpj: str | None = Field(default=None, pattern=CNPJ)
    nome: str = Field(max_length=200)

    @model_validator(mode="after")
    def _one_document(self) -> Self:
        if (self.cpf is None) == (self.cnpj is None):
            raise ValueError("exactly one of cpf and cnpj")
        return self


class Devedor(_Person):
    """``DadosDevedor.devedor``: a person plus ``email`` and ``DadosComplementaresPessoa``."""

    email: str | None = None
    logradouro: str | None = Field(default=None, max_length=200)
    cidade: str | None = Field(default=None, max_length=200)
    uf: str | None = Field(default=None, max_length=2)
    cep: str | None = Field(default=None, max_length=8)


class Recebedor(_Person):
    """``DadosRecebedor.recebedor``: address fields required."""

    nomeFantasia: str | None = Field(default=None, max_length=200)
    logradouro: str = Field(max_length=200)
    cidade: str = Field(max_length=200)
    uf: str = Field(max_length=2)
    cep: str = Field(max_length=8)


class CobDataDeVencimento(_Schema):
    """``CobDataDeVencimento`` (``validadeAposVencimento`` defaults to 30)."""

    dataDeVencimento: date
    validadeAposVencimento: int | None = Field(default=None, ge=0, le=2**31 - 1)


class CalendarioGerado(_Schema):
    """``CobVGerada.calendario``: ``CobCriacao`` + ``CobDataDeVencimento``."""

    criacao: AwareDatetime
    dataDeVencimento: date
    validadeAposVencimento: int = Field(ge=0)


class CalendarioPayload(CalendarioGerado):
    """``CobVPayload.calendario``: adds ``CobApresentacao``."""

    apresentacao: AwareDatetime


class Multa(_Schema):
    modalidade: int = Field(ge=1, le=2)
    valorPerc: str = Field(pattern=VALOR)


class Juros(_Schema):
    modalidade: int = Field(ge=1, le=8)
    valorPerc: str = Field(pattern=VALOR)


class Abatimento(_Schema):
    modalidade: int = Field(ge=1, le=2)
    valorPerc: str = Field(pattern=VALOR)


class DescontoDataFixa(_Schema):
    data: date
    valorPerc: str = Field(pattern=VALOR)


class Desconto(_Schema):
    """``CobVValor.desconto``: modalidade 1-2 with ``descontoDataFixa`` (1-3
    dates), 3-6 with ``valorPerc`` (the violations the manual lists)."""

    modalidade: int = Field(ge=1, le=6)
    descontoDataFixa: list[DescontoDataFixa] | None = Field(default=None, min_length=1, max_length=3)
    valorPerc: str | None = Field(default=None, pattern=VALOR)

    @model_validator(mode="after")
    def _by_modality(self) -> Self:
        if self.modalidade in (1, 2) and (self.valorPerc is not None or not self.descontoDataFixa):
            raise ValueError("modalidade 1 and 2 take descontoDataFixa, not valorPerc")
        if self.modalidade >= 3 and (self.valorPerc is None or self.descontoDataFixa is not None):
            raise ValueError("modalidade 3 to 6 take valorPerc, not descontoDataFixa")
        return self


class CobVValor(_Schema):
    """``CobVValor`` (``original`` required where the schema adds it)."""

    original: str = Field(pattern=VALOR)
    multa: Multa | None = None
    juros: Juros | None = None
    abatimento: Abatimento | None = None
    desconto: Desconto | None = None


class CobVValorRevisado(CobVValor):
    original: str | None = Field(default=None, pattern=VALOR)  # type: ignore[assignment]


class PayloadLocationCob(_Schema):
    id: int


class InfoAdicional(_Schema):
    nome: str = Field(max_length=50)
    valor: str = Field(max_length=200)


class CobVSolicitada(_Schema):
    """``CobVSolicitada``: the body of ``PUT /cobv/{txid}``."""

    calendario: CobDataDeVencimento
    devedor: Devedor
    loc: PayloadLocationCob | None = None
    valor: CobVValor
    chave: str = Field(min_length=1, max_length=77)
    solicitacaoPagador: str | None = Field(default=None, max_length=140)
    infoAdicionais: list[InfoAdicional] | None = Field(default=None, max_length=50)


class CobVRevisada(_Schema):
    """``CobVRevisada``: the body of ``PATCH /cobv/{txid}``; every field optional."""

    calendario: CobDataDeVencimento | None = None
    devedor: Devedor | None = None
    loc: PayloadLocationCob | None = None
    status: Literal["REMOVIDA_PELO_USUARIO_RECEBEDOR"] | None = None
    valor: CobVValorRevisado | None = None
    chave: str | None = Field(default=None, min_length=1, max_length=77)
    solicitacaoPagador: str | None = Field(default=None, max_length=140)
    infoAdicionais: list[InfoAdicional] | None = Field(default=None, max_length=50)


class PayloadLocation(_Schema):
    """``PayloadLocation`` (``loc`` of a generated charge)."""

    id: int
    location: str = Field(max_length=77)
    tipoCob: Literal["cob", "cobv"]
    criacao: AwareDatetime


class ComponenteValor(_Schema):
    valor: str = Field(pattern=VALOR)


class ComponentesValor(_Schema):
    """``Pix.componentesValor`` for a cobv: ``PixValorOriginal``, ``PixValorMulta``,
    ``PixValorJuros``, ``PixValorAbatimento``, ``PixValorDesconto``."""

    original: ComponenteValor | None = None
    multa: ComponenteValor | None = None
    juros: ComponenteValor | None = None
    abatimento: ComponenteValor | None = None
    desconto: ComponenteValor | None = None


class DevolucaoHorario(_Schema):
    solicitacao: AwareDatetime | None = None
    liquidacao: AwareDatetime | None = None


class Devolucao(_Schema):
    """``Devolucao``."""

    id: str = Field(pattern=r"^[a-zA-Z0-9]{1,35}$")
    rtrId: str = Field(pattern=END_TO_END_ID)
    valor: str = Field(pattern=VALOR)
    natureza: (
        Literal["ORIGINAL", "RETIRADA", "MED_OPERACIONAL", "MED_FRAUDE", "MED_PIX_AUTOMATICO"] | None
    ) = None
    descricao: str | None = Field(default=None, max_length=140)
    horario: DevolucaoHorario
    status: Literal["EM_PROCESSAMENTO", "DEVOLVIDO", "NAO_REALIZADO"]
    motivo: str | None = Field(default=None, max_length=140)


class Pix(_Schema):
    """``Pix``: one received Pix (``GET /pix``, the webhook, ``CobVCompleta.pix``)."""

    endToEndId: str = Field(pattern=END_TO_END_ID)
    txid: str | None = Field(default=None, pattern=TXID_PIX)
    valor: str = Field(pattern=VALOR)
    componentesValor: ComponentesValor | None = None
    chave: str | None = Field(default=None, max_length=77)
    horario: AwareDatetime
    infoPagador: str | None = Field(default=None, max_length=140)
    devolucoes: list[Devolucao] | None = None


class CobVGerada(_Schema):
    """``CobVGerada``: the answer to ``PUT``/``PATCH /cobv/{txid}``."""

    calendario: CalendarioGerado
    txid: str = Field(pattern=TXID)
    revisao: int = Field(ge=0)
    devedor: Devedor
    recebedor: Recebedor
    loc: PayloadLocation
    location: str = Field(max_length=77)
    status: CobrancaStatus
    valor: CobVValor
    chave: str = Field(max_length=77)
    solicitacaoPagador: str | None = Field(default=None, max_length=140)
    infoAdicionais: list[InfoAdicional] | None = Field(default=None, max_length=50)
    pixCopiaECola: str | None = Field(default=None, max_length=512)


class CobVCompleta(CobVGerada):
    """``CobVCompleta``: ``GET /cobv/{txid}``, with the Pix that paid it."""

    pix: list[Pix] | None = None


class CobVPayloadValor(_Schema):
    """``CobVPayloadValor``: the value computed for the day of payment."""

    original: str | None = Field(default=None, pattern=VALOR)
    multa: str | None = Field(default=None, pattern=VALOR)
    juros: str | None = Field(default=None, pattern=VALOR)
    abatimento: str | None = Field(default=None, pattern=VALOR)
    desconto: str | None = Field(default=None, pattern=VALOR)
    final: str = Field(pattern=VALOR)


class CobVPayload(_Schema):
    """``CobVPayload``: what the location serves the payer's app (a JWS in
    production; the sandbox serves the payload itself as JSON)."""

    calendario: CalendarioPayload
    devedor: Devedor
    recebedor: Recebedor
    txid: str = Field(pattern=TXID)
    revisao: int = Field(ge=0)
    status: CobrancaStatus
    valor: CobVPayloadValor
    chave: str = Field(max_length=77)
    solicitacaoPagador: str | None = Field(default=None, max_length=140)
    infoAdicionais: list[InfoAdicional] | None = Field(default=None, max_length=50)


class Paginacao(_Schema):
    """``Paginacao``."""

    paginaAtual: int = Field(ge=0)
    itensPorPagina: int = Field(ge=1)
    quantidadeDePaginas: int = Field(ge=1)
    quantidadeTotalDeItens: int = Field(ge=0)


class ParametrosConsultaPix(_Schema):
    """``ParametrosConsultaPix``."""

    inicio: AwareDatetime
    fim: AwareDatetime
    txid: str | None = Field(default=None, pattern=TXID_PIX)
    txIdPresente: bool | None = None
    devolucaoPresente: bool | None = None
    cpf: str | None = Field(default=None, pattern=CPF)
    cnpj: str | None = Field(default=None, pattern=CNPJ)
    paginacao: Paginacao


class PixConsultados(_Schema):
    """``PixConsultados``: ``GET /pix``."""

    parametros: ParametrosConsultaPix
    pix: list[Pix]


class WebhookSolicitado(_Schema):
    """``WebhookSolicitado``: the body of ``PUT /webhook/{chave}``."""

    webhookUrl: str = Field(min_length=1, max_length=2048)


class WebhookCompleto(_Schema):
    """``WebhookCompleto``: ``GET /webhook/{chave}`` (``chave`` is returned too,
    as the PSPs do; the schema's ``cnpj`` is the receiver's)."""

    webhookUrl: str
    chave: str | None = Field(default=None, max_length=77)
    cnpj: str | None = Field(default=None, pattern=CNPJ)
    criacao: AwareDatetime


class WebhookPixBody(_Schema):
    """``WebhookPixBody``: what ``POST {webhookUrl}/pix`` carries."""

    pix: list[Pix]


class Violacao(_Schema):
    razao: str | None = None
    propriedade: str | None = None
    valor: str | None = None


class Problema(_Schema):
    """``Problema`` (RFC 7807), ``type`` = ``https://pix.bcb.gov.br/api/v2/error/<TipoErro>``."""

    type: str
    title: str
    status: int
    detail: str | None = None
    correlationId: str | None = None
    violacoes: list[Violacao] | None = None
