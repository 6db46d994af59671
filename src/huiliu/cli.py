"""The ``huiliu`` command: serve, migrate, demo."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from huiliu.config import Settings, get_settings

cli = typer.Typer(
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Huiliu (汇流): omnichannel customer service.",
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def load_settings() -> Settings:
    """The settings, or a readable list of what is wrong with them and exit code 2."""
    try:
        return get_settings()
    except ValidationError as exc:
        err_console.print("[bold red]invalid settings:[/bold red]")
        for err in exc.errors():
            name = "HUILIU_" + "_".join(str(p) for p in err["loc"]).upper()
            err_console.print(f"  {name} ({'.'.join(str(p) for p in err['loc'])}): {err['msg']}")
        raise typer.Exit(2) from None


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the API, the WebSocket gateway and the web pages."""
    import uvicorn

    from huiliu.app import create_app

    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        # The sans-I/O implementation costs least per socket; deflate would add ~35 KB each.
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,
        lifespan="on",
        access_log=False,
    )


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from huiliu.db.migrate import upgrade

    settings = load_settings()
    asyncio.run(upgrade(settings.resolved_database_url))
    console.print(f"database is up to date: {_safe_url(settings.resolved_database_url)}")


@cli.command()
def demo(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """Create (idempotently) a demo merchant with an admin, a supervisor and three agents."""
    from huiliu.db import Database
    from huiliu.demo import ensure_demo

    settings = load_settings()

    async def run() -> dict[str, Any]:
        db = Database(
            settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
        try:
            return (await ensure_demo(db)).as_json()
        finally:
            await db.dispose()

    data = asyncio.run(run())
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    table = Table(title="Huiliu demo tenant")
    table.add_column("role")
    table.add_column("e-mail")
    table.add_column("password")
    rows = [("admin", data["admin"]), ("supervisor", data["supervisor"])]
    rows += [("agent", cred) for cred in data["agents"]]
    for role, cred in rows:
        table.add_row(role, cred["email"], cred["password"])
    console.print(table)
    console.print(f"widget key: [bold]{data['widget_key']}[/bold]")


@cli.command()
def schema() -> None:
    """Print the real-time protocol's JSON Schema (docs/protocol.schema.json)."""
    from huiliu.realtime.schema import protocol_schema

    typer.echo(json.dumps(protocol_schema(), indent=2, ensure_ascii=False, sort_keys=False))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    cli()
