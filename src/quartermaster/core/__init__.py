"""Shared kernel: settings, database, errors, logging, ids. Imports no business module."""
