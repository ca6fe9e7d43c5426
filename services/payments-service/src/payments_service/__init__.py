"""Régua payments-service: Pix and boleto charges, gateway webhooks, payment matching and reversals."""
