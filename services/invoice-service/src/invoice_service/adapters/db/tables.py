"""Tables of invoice-service, all in the ``invoice`` schema."""

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "invoice"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)
