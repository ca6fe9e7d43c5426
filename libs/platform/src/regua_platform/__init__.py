"""Régua shared runtime: what every service needs, done one way.

Imported by the services, never run on its own.
"""
