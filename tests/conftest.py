import os

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

# the PostgreSQL server fixture (module-scoped: each module that asks for it starts its own server)
pytest_plugins = ["tests.pg_server"]
