"""The device runtime: executor, expressions, store, sync client and server (issue 3 onward)."""
