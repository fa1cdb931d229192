"""The deployment test runs only against PostgreSQL (the `pytest postgresql` step); its
marker is registered in pyproject.toml."""
