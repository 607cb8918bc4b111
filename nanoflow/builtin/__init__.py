"""Built-in modules of every app, written in `.nf`."""
