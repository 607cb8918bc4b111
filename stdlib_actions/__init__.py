"""Built-in actions callable with `call action` (Nanoflow Commons equivalents)."""
