"""Régua scheduler-service: Dunning policies (the régua), per-invoice plans of steps and the durable timer."""
