from regua_platform.migrations import run_env
from invoice_service.adapters.db.tables import metadata

run_env(metadata)
