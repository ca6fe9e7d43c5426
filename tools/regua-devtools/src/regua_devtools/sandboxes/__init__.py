"""The payment sandboxes of the dev stack: stand-ins for a tenant's PSP (the
Banco Central's API Pix v2 subset, :mod:`.psp`) and bank (a boleto
registration API, :mod:`.bank`). Both issue OAuth2 client-credentials tokens,
keep everything in memory, read "today" from a shiftable clock and call the
webhooks of payments-service when a payment is simulated. Their late-payment
arithmetic (:mod:`.charges`) is written apart from ``regua_br.amount_due`` on
purpose: the sandboxes are the oracle our own rule is checked against.

``regua sandbox`` serves them beside the channel sandbox (PSP on 8026, bank on
8027); tests use :func:`.psp.running_psp_sandbox` and :func:`.bank.running_bank_sandbox`.
See docs/psp-and-bank.md.
"""
