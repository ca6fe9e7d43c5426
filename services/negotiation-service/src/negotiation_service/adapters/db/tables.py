"""Tables of negotiation-service, all in the ``negotiation`` schema."""

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "negotiation"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)
