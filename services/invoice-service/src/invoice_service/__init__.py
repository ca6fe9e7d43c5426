"""Régua invoice-service: Debtors, invoices, amounts due today (late fine and interest), portfolio reports."""
