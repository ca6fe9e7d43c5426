# Real Kafka and PostgreSQL for every test that asks for them.
pytest_plugins = ["regua_devtools.testing"]
