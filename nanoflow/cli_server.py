"""The `serve` and `users` commands of the `nanoflow` CLI (declarations only; the work is in
`nanoflow.server.commands`, imported when a command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

AppPath = Annotated[Path, typer.Argument(help="The app: a `.nf` file or a directory.")]
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The server database: sqlite:///PATH or postgresql://USER@HOST/DB "
        "(default .nanoflow/server.sqlite beside the app).",
    ),
]

users_app = typer.Typer(
    name="users",
    help="Manage the sync server's users.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def serve(
    path: AppPath,
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8080,
) -> None:
    """Run the sync server of an app."""
    from nanoflow.server.commands import serve_command

    raise typer.Exit(serve_command(path, db, host, port))


@users_app.command("add")
def users_add(
    path: AppPath,
    name: Annotated[str, typer.Argument(help="The user name.")],
    role: Annotated[
        list[str], typer.Option("--role", help="A qualified role, like Sales.User (repeatable).")
    ],
    db: DbOption = None,
    timezone: Annotated[
        str | None, typer.Option(help="The user's IANA time zone (default: none, UTC).")
    ] = None,
) -> None:
    """Add a user (password: NANOFLOW_PASSWORD, the first line of stdin, or a prompt)."""
    from nanoflow.server.commands import users_add_command

    raise typer.Exit(users_add_command(path, name, role, db, timezone))


@users_app.command("list")
def users_list(
    path: AppPath,
    db: DbOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the users."""
    from nanoflow.server.commands import users_list_command

    raise typer.Exit(users_list_command(path, db, json_out))


@users_app.command("remove")
def users_remove(
    path: AppPath,
    name: Annotated[str, typer.Argument(help="The user name.")],
    db: DbOption = None,
) -> None:
    """Remove a user; its tokens stop working."""
    from nanoflow.server.commands import users_remove_command

    raise typer.Exit(users_remove_command(path, name, db))


@users_app.command("passwd")
def users_passwd(
    path: AppPath,
    name: Annotated[str, typer.Argument(help="The user name.")],
    db: DbOption = None,
) -> None:
    """Set a user's password; its earlier tokens stop working."""
    from nanoflow.server.commands import users_passwd_command

    raise typer.Exit(users_passwd_command(path, name, db))


def register(app: typer.Typer) -> None:
    """Add `serve` and `users` to the CLI."""
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
