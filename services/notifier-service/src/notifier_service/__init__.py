"""Régua notifier-service: pt-BR templates, channel providers (e-mail, SMS, WhatsApp, voice), consent and delivery."""
