"""HTTP API of payments-service."""
