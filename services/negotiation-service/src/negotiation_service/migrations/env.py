from negotiation_service.adapters.db.tables import metadata
from regua_platform.migrations import run_env

run_env(metadata)
