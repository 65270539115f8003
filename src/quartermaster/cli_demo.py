"""The demo organization on the command line: `qm seed-demo` with Rich progress, and the
first embedded `qm serve`, which fills it in a background thread while the API serves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from quartermaster.cli_common import _fail, _hasher, _run_with_database, console
from quartermaster.demo.catalog import DemoSize

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from quartermaster.core.settings import Settings
    from quartermaster.demo.seed import DemoReport


def _demo_login_path(settings: Settings) -> Path:
    return settings.data_dir / "demo-login.json"


def _remember_login(settings: Settings, login: dict[str, str]) -> None:
    import json

    fd = os.open(_demo_login_path(settings), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(login, handle)


def _seed_demo_once(
    settings: Settings,
    *,
    with_data: bool = True,
    size: DemoSize | None = None,
    background: bool = False,
) -> dict[str, str] | None:
    """On the first embedded start, create the demo organization and (``with_data``) fill
    it with the demo catalog and stock history; remember its login in the data dir so later
    starts can print it again. A start interrupted while filling it tries again next time
    (the seed then finds what was written and adds nothing). With ``background`` the data
    is left ``pending`` for :class:`_DemoFiller`, which fills it while the API serves."""
    import json
    import secrets

    from quartermaster.identity.public import DEMO_EMAIL, DEMO_ORGANIZATION, seed_demo

    path = _demo_login_path(settings)
    if path.exists():
        login: dict[str, str] = json.loads(path.read_text())
        if login.get("data") != "pending":  # files without the key predate demo data
            return login
    else:
        password = secrets.token_urlsafe(12)
        hasher = _hasher(settings)
        created = _run_with_database(settings, lambda db: seed_demo(db, hasher, password=password))
        if created is None:  # the demo account was made some other way; its password is not ours
            return None
        login = {
            "email": DEMO_EMAIL,
            "password": password,
            "organization": DEMO_ORGANIZATION,
            "data": "pending" if with_data else "none",
        }
        _remember_login(settings, login)
        if not with_data:
            return login
    if background:
        return login
    _seed_demo_data(settings, size or DemoSize())
    login["data"] = "seeded"
    _remember_login(settings, login)
    return login


class _FillStopped(Exception):
    """The server is stopping; the demo fill ends after its current (rolled back) batch."""


class _DemoFiller:
    """Fills the demo organization in a background thread while the API already serves,
    so the first `make run` is ready in seconds (and the stock arrives live). The seed
    commits a day of history at a time; stopping rolls back only the day in progress."""

    def __init__(self, settings: Settings, login: dict[str, str], size: DemoSize) -> None:
        import threading

        self.settings, self.login, self.size = settings, login, size
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="qm-demo-fill", daemon=True)
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._reported = 0

    def start(self) -> None:
        console.print(
            f"Filling {self.login['organization']} with demo data in the background: "
            f"{self.size.products:,} products, ~{self.size.movements:,} stock movements and "
            f"{self.size.tickets} tickets over {self.size.days} days (the API is usable "
            "meanwhile).",
            highlight=False,
            soft_wrap=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)

    # demo.SeedProgress
    def start_task(self, task: str, total: int) -> None:
        self._totals[task] = total

    def advance(self, task: str, amount: int) -> None:
        if self._stop.is_set():
            raise _FillStopped
        self._done[task] = self._done.get(task, 0) + amount
        if task == "movements" and self._totals.get(task):
            quarter = 4 * self._done[task] // self._totals[task]
            if quarter > self._reported and quarter < 4:
                self._reported = quarter
                console.print(f"Demo data: {25 * quarter}% of the stock history written.")

    def _run(self) -> None:
        from quartermaster.demo.seed import seed_demo_data

        progress = _FillerProgress(self)
        try:
            report = _run_with_database(
                self.settings,
                lambda db: seed_demo_data(
                    db, self.size, progress, files_dir=_desk_files(self.settings)
                ),
                uvloop=True,
            )
        except _FillStopped:
            console.print("Demo data: stopped with the server; the days already written stay.")
            return
        except Exception as exc:  # the API keeps serving; say why the demo is incomplete
            console.print(f"Demo data could not be written: {exc}", highlight=False)
            return
        self.login["data"] = "seeded"
        _remember_login(self.settings, self.login)
        if report is not None:
            tickets = report.desk.tickets if report.desk else 0
            articles = report.knowledge.articles if report.knowledge else 0
            console.print(
                f"Demo data ready in {report.seconds:.0f} s: {report.products:,} products, "
                f"{report.movements:,} movements, {report.open_alerts} open low-stock alerts, "
                f"{tickets} tickets, {articles} knowledge base articles.",
                highlight=False,
            )


class _FillerProgress:
    """demo.SeedProgress for _DemoFiller (``start`` is taken by the thread's own start)."""

    def __init__(self, filler: _DemoFiller) -> None:
        self.filler = filler

    def start(self, task: str, total: int) -> None:
        self.filler.start_task(task, total)

    def advance(self, task: str, amount: int) -> None:
        self.filler.advance(task, amount)


class _RichSeedProgress:
    """demo.SeedProgress as Rich progress bars (products, movements)."""

    def __init__(self, progress: Progress) -> None:
        self.labels = {"products": "Products", "movements": "Movements", "tickets": "Tickets"}
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def start(self, task: str, total: int) -> None:
        if task in self.tasks:
            self.progress.update(self.tasks[task], total=total)
        else:
            self.tasks[task] = self.progress.add_task(self.labels.get(task, task), total=total)

    def advance(self, task: str, amount: int) -> None:
        self.progress.advance(self.tasks[task], amount)


def _desk_files(settings: Settings) -> Path:
    return settings.servicedesk_files_dir or settings.data_dir / "servicedesk"


def _seed_demo_data(settings: Settings, size: DemoSize) -> DemoReport | None:
    """Fill the demo organization (which must exist) with demo data, showing progress;
    None when it already has some."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from quartermaster.demo.seed import DemoAccountMissing, seed_demo_data
    from quartermaster.identity.public import DEMO_EMAIL, DEMO_ORGANIZATION
    from quartermaster.modules import import_models

    import_models()  # foreign keys between modules' tables (levels → products) resolve
    console.print(
        f"Filling {DEMO_ORGANIZATION} with demo data: {size.products:,} products, "
        f"~{size.movements:,} stock movements and {size.tickets} tickets over {size.days} "
        "days …",
        highlight=False,
        soft_wrap=True,
    )
    progress = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    try:
        with progress:
            report = _run_with_database(
                settings,
                lambda db: seed_demo_data(
                    db, size, _RichSeedProgress(progress), files_dir=_desk_files(settings)
                ),
                uvloop=True,
            )
    except DemoAccountMissing as exc:
        raise _fail(
            f"{DEMO_EMAIL} is not an owner of an organization named {DEMO_ORGANIZATION!r}; "
            "no demo data was written."
        ) from exc
    if report is None:
        console.print(
            f"{DEMO_ORGANIZATION} is already seeded (it has warehouses or products); "
            "nothing was added.",
            soft_wrap=True,
        )
    else:
        console.print(
            f"Seeded {DEMO_ORGANIZATION} in {report.seconds:.1f} s: {report.products:,} "
            f"products in {report.categories} categories, {report.prices:,} prices in 2 "
            f"price lists, {report.warehouses} warehouses with {report.locations} locations, "
            f"{report.movements:,} movements in {report.batches:,} batches, "
            f"{report.reservations} active reservations, {report.open_alerts} open "
            "low-stock alerts"
            + (
                f"; {report.desk.tickets} tickets ({report.desk.by_email} by e-mail, "
                f"{report.desk.breached} SLA breaches, {report.desk.rated} rated) for "
                f"{report.desk.agents} agents"
                if report.desk
                else ""
            )
            + (
                f"; {report.knowledge.articles} knowledge base articles in "
                f"{report.knowledge.collections} collections ({report.knowledge.drafts} drafts, "
                f"{report.knowledge.internal} internal, {report.knowledge.revisions} revisions) "
                f"in {report.knowledge_seconds:.1f} s."
                if report.knowledge
                else "."
            ),
            highlight=False,
            soft_wrap=True,
        )
    return report
