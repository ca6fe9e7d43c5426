"""Tables of notifier-service, all in the ``notifier`` schema."""

from regua_platform.db import service_metadata
from regua_platform.messaging import messaging_tables

SCHEMA = "notifier"
metadata = service_metadata(SCHEMA)
messaging = messaging_tables(metadata)
