"""Nanoflow: Mendix-style nanoflows with offline-first synchronization."""
