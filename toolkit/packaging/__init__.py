"""Data Packages: packaging a validated catalog, its derived formats, loading and downloading packages."""
