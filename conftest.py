# Real Kafka and PostgreSQL for every test that asks for them.
import os

pytest_plugins = ["regua_devtools.testing"]

# tests/compose runs docker-compose.yml on a Docker engine: `make test-compose`
# (which `make test` calls after the rest) sets REGUA_TEST_COMPOSE=1.
collect_ignore = [] if os.environ.get("REGUA_TEST_COMPOSE") == "1" else ["tests/compose"]
