"""The fast engine: frictionless's findings for large tables, from vectorised checks on blocks of rows."""
