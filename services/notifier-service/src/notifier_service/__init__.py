"""Régua notifier-service: pt-BR templates, channel providers, consent and delivery."""
