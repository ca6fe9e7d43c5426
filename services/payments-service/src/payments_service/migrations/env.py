from regua_platform.migrations import run_env
from payments_service.adapters.db.tables import metadata

run_env(metadata)
