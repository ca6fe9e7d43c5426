from regua_platform.migrations import run_env
from negotiation_service.adapters.db.tables import metadata

run_env(metadata)
