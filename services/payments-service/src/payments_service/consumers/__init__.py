"""Kafka handlers of payments-service."""
