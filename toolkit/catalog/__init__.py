"""The catalog: its model (datasets, resources, schemas, codelists), descriptors and the ISO standards."""
