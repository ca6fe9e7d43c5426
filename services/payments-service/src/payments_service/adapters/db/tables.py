"""Tables of payments-service, all in the ``payments`` schema."""

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "payments"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)
