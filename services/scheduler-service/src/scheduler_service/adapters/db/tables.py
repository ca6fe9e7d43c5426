"""Tables of scheduler-service, all in the ``scheduler`` schema."""

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "scheduler"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)
