"""The `nanoflow` command's entry point (also `python -m nanoflow`).

Help that was printed before in the same conditions comes from the per-user cache
(`nanoflow/help_cache.py`) without importing Typer, rich or the compiler; a plain `eval` or
`check` is read and run without Typer (`nanoflow/cli_direct.py`); everything else goes to the
command line in `nanoflow/cli.py`.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Entry point of the `nanoflow` console script."""
    from nanoflow import help_cache

    argv = sys.argv[1:]
    if not help_cache.is_help_request(argv):
        from nanoflow import cli_direct

        code = cli_direct.run(argv)
        if code is not None:
            sys.exit(code)
        from nanoflow.cli import main as cli_main

        cli_main()
        return
    text = help_cache.cached_help(argv)
    if text is None:
        from nanoflow.cli import main as cli_main

        help_cache.run_recording(argv, cli_main)
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `nanoflow --help | head`: the reader has gone (Python's recipe)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
