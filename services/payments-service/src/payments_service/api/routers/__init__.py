"""Routers of payments-service."""
