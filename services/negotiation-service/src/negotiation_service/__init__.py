"""Régua negotiation-service: Renegotiation offers, agreements and the debtor self-service portal."""
