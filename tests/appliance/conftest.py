"""The appliance tests: markers `appliance` and `slow` are declared in pyproject.toml."""
