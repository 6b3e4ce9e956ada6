"""The fast engine: frictionless's findings for every table it can read, from vectorised checks."""
