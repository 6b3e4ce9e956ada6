"""Findings and reports: what was found in the data, its messages in Spanish and English, its renderers."""
