"""The `.nf` grammar (data)."""
