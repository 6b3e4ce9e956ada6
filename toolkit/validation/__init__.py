"""Validation: structure (frictionless), domain, profiles, privacy and cross-dataset checks, two engines."""
