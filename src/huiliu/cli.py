"""The ``huiliu`` command: serve, worker, migrate, demo, kb import / export, analytics
rebuild, schema, openapi."""

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
        create_app(settings, freeze_heap=True),
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
def worker(
    report_every: float = typer.Option(
        60.0, "--report-every", min=1.0, help="Seconds between two progress lines."
    ),
) -> None:
    """Drain the outbox (webhook deliveries, offline pushes, report folds) until stopped,
    printing what it did each minute, sample agents' presence for reports, and send the
    running campaigns. SIGTERM or
    Ctrl-C lets the batch in hand finish first; a worker killed outright leaves its jobs to
    run again once their lock expires. Run as many as you like beside scaled-out servers
    (with HUILIU_WORKER_IN_PROCESS=false)."""
    import contextlib
    import signal
    import time

    from huiliu.analytics.presence import Sampler
    from huiliu.bus import create_bus
    from huiliu.campaigns.sender import CampaignSender
    from huiliu.db import Database
    from huiliu.outbox import service as outbox_service
    from huiliu.outbox.worker import Worker, WorkerStats
    from huiliu.runtime import outbox_handlers

    settings = load_settings()

    def line(label: str, now: WorkerStats, before: WorkerStats, pending: int | None) -> None:
        console.print(
            f"{time.strftime('%H:%M:%S')} {label}: "
            f"[green]processed {now.done - before.done}[/green]  "
            f"retried {now.retried - before.retried}  "
            f"[yellow]failed {now.failed - before.failed}[/yellow]  "
            f"[red]dead {now.dead - before.dead}[/red]"
            + (f"  · pending {pending}" if pending is not None else "")
        )
        console.file.flush()

    async def run() -> None:
        db = Database(
            settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
        # With Redis, what the worker learns (a delivery's outcome) reaches the agents.
        bus = (
            create_bus(settings.redis_url, channel=settings.redis_channel)
            if settings.redis_url
            else None
        )
        if bus is not None:
            await bus.start()
        outbox = Worker(db, outbox_handlers(), settings, bus)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, outbox.request_stop)

        async def report() -> None:
            before = outbox.stats.copy()
            while True:
                await asyncio.sleep(report_every)
                now = outbox.stats.copy()
                pending: int | None = None
                with contextlib.suppress(Exception):
                    pending = await outbox_service.count_pending(db)
                line(f"last {report_every:g} s", now, before, pending)
                before = now

        console.print(
            f"outbox worker on {_safe_url(settings.resolved_database_url)}: batches of "
            f"{settings.outbox_batch_size}, at most {settings.outbox_max_attempts} attempts"
        )
        console.file.flush()
        reporter = asyncio.create_task(report())
        sampler = Sampler(db, every_s=settings.report_sample_s)
        await sampler.start()
        # Campaigns go out from here too (without presence: a widget customer counts as away).
        sender = CampaignSender(db, bus, every_s=settings.campaign_send_s)
        await sender.start()
        try:
            await outbox.run()
        finally:
            await sender.stop()
            await sampler.stop()
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
            line("stopped; in all", outbox.stats, WorkerStats(), None)
            if bus is not None:
                await bus.stop()
            await db.dispose()

    asyncio.run(run())


@cli.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from huiliu.db.migrate import upgrade

    settings = load_settings()
    asyncio.run(upgrade(settings.resolved_database_url))
    console.print(f"database is up to date: {_safe_url(settings.resolved_database_url)}")


@cli.command()
def demo(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    base_url: str = typer.Option(
        "http://127.0.0.1:8000",
        "--base-url",
        help="Where this Huiliu will be served: the bot calls the demo shop's API there.",
    ),
    people_only: bool = typer.Option(
        False, "--people-only", help="Only the merchant and its people (for benchmarks)."
    ),
) -> None:
    """Create (idempotently) a demo merchant: an admin, a supervisor, three agents, a group,
    the shop's FAQ and its bot with self-service flows against the demo shop's API."""
    from huiliu.db import Database
    from huiliu.demo import ensure_demo

    settings = load_settings()

    async def run() -> dict[str, Any]:
        db = Database(
            settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
        try:
            demo = await ensure_demo(db, base_url=base_url, people_only=people_only)
            return demo.as_json()
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


kb_cli = typer.Typer(no_args_is_help=True, help="The knowledge base: import and export.")
cli.add_typer(kb_cli, name="kb")


async def _tenant_id(db: Any, slug: str) -> int:
    from huiliu.tenants import service as tenants_service

    async with db.read() as session:
        tenant = await tenants_service.get_by_slug(session, slug=slug)
    if tenant is None:
        err_console.print(f"[bold red]no tenant with the slug {slug!r}[/bold red]")
        raise typer.Exit(2)
    return int(tenant.id)


def _format_of(path: str, given: str | None) -> str:
    fmt = (given or path.rsplit(".", 1)[-1]).lower()
    if fmt not in ("csv", "xlsx"):
        err_console.print("[bold red]the file must be .csv or .xlsx (or say --format)[/bold red]")
        raise typer.Exit(2)
    return fmt


@kb_cli.command("import")
def kb_import(
    file: str = typer.Argument(..., help="A .csv or .xlsx file (columns: docs/bot.md)."),
    tenant: str = typer.Option(..., "--tenant", help="The merchant's slug."),
    fmt: str | None = typer.Option(None, "--format", help="csv or xlsx (default: by suffix)."),
) -> None:
    """Import entries (new standard questions are created, known ones updated); every bad
    row is reported with its row number, column and reason, and the good rows still land."""
    from pathlib import Path

    from rich.progress import Progress

    from huiliu.db import Database
    from huiliu.errors import AppError
    from huiliu.kb import transfer

    settings = load_settings()
    path = Path(file)
    if not path.is_file():
        err_console.print(f"[bold red]no such file: {file}[/bold red]")
        raise typer.Exit(2)
    try:
        rows = transfer.read_rows(path.read_bytes(), _format_of(file, fmt))
    except AppError as exc:
        err_console.print(f"[bold red]{exc.detail}[/bold red]")
        raise typer.Exit(2) from None

    async def run() -> Any:
        db = Database(settings.resolved_database_url)
        try:
            tenant_id = await _tenant_id(db, tenant)
            with Progress(console=err_console) as progress:
                task = progress.add_task("importing", total=len(rows))
                return await transfer.import_entries(
                    db,
                    tenant_id=tenant_id,
                    rows=rows,
                    progress=lambda done, total: progress.update(task, completed=done),
                )
        finally:
            await db.dispose()

    report = asyncio.run(run())
    console.print(
        f"created {report.created}, updated {report.updated}, failed rows {report.failed}"
    )
    if report.errors:
        table = Table(title="rows not imported")
        for column in ("row", "column", "reason"):
            table.add_column(column)
        for error in report.errors:
            table.add_row(str(error.row), error.field, error.reason)
        console.print(table)
        raise typer.Exit(1)


@kb_cli.command("export")
def kb_export(
    file: str = typer.Argument(..., help="Where to write: a .csv or .xlsx file."),
    tenant: str = typer.Option(..., "--tenant", help="The merchant's slug."),
    fmt: str | None = typer.Option(None, "--format", help="csv or xlsx (default: by suffix)."),
) -> None:
    """Export the knowledge base in the import's columns."""
    from pathlib import Path

    from huiliu.db import Database
    from huiliu.kb import transfer

    settings = load_settings()
    fmt = _format_of(file, fmt)

    async def run() -> list[list[str]]:
        db = Database(settings.resolved_database_url)
        try:
            return await transfer.export_rows(db, tenant_id=await _tenant_id(db, tenant))
        finally:
            await db.dispose()

    rows = asyncio.run(run())
    Path(file).write_bytes(transfer.to_xlsx(rows) if fmt == "xlsx" else transfer.to_csv(rows))
    console.print(f"{len(rows) - 1} entries written to {file}")


analytics_cli = typer.Typer(no_args_is_help=True, help="Reports: rebuild from raw data.")
cli.add_typer(analytics_cli, name="analytics")


async def _tenant_ref(db: Any, ref: str) -> int:
    """A tenant by its id (digits) or its slug."""
    if ref.isdigit():
        from huiliu.tenants.models import Tenant

        async with db.read() as session:
            found = await session.get(Tenant, int(ref))
        if found is None:
            err_console.print(f"[bold red]no tenant with the id {ref}[/bold red]")
            raise typer.Exit(2)
        return int(found.id)
    return await _tenant_id(db, ref)


@analytics_cli.command("rebuild")
def analytics_rebuild(
    tenant: str | None = typer.Option(
        None, "--tenant", help="One merchant, by id or slug (default: every merchant)."
    ),
    batch: int = typer.Option(
        500, "--batch", min=1, max=5000, help="Conversations folded per transaction."
    ),
) -> None:
    """Recompute every report fact, bucket and hot-word term from the raw conversations:
    clear, then fold again in batches. Idempotent, and safe while the server runs (reports
    count up again as it goes). Agents' online hours are kept as they are."""
    from rich.progress import Progress

    from huiliu.analytics.rebuild import rebuild
    from huiliu.db import Database

    settings = load_settings()

    async def run() -> Any:
        db = Database(
            settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
        try:
            tenant_ids = [await _tenant_ref(db, tenant)] if tenant is not None else None
            with Progress(console=err_console) as progress:
                task = progress.add_task("folding conversations", total=None)
                return await rebuild(
                    db,
                    tenant_ids=tenant_ids,
                    batch=batch,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
        finally:
            await db.dispose()

    done = asyncio.run(run())
    console.print(
        f"rebuilt {done.tenants} tenant(s): {done.conversations} conversations folded, "
        f"{done.facts} facts and the terms of {done.terms} closed conversations stored"
    )


@cli.command()
def schema() -> None:
    """Print the real-time protocol's JSON Schema (docs/protocol.schema.json)."""
    from huiliu.realtime.schema import protocol_schema

    typer.echo(json.dumps(protocol_schema(), indent=2, ensure_ascii=False, sort_keys=False))


@cli.command()
def openapi() -> None:
    """Print the REST API's OpenAPI document (docs/openapi.json; the front end's types come
    from it)."""
    from huiliu.app import create_app

    document = create_app(Settings(secret_key="0" * 32)).openapi()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    cli()
