"""The catalog's background jobs: the product import."""

from __future__ import annotations

from arq.cron import CronJob
from arq.worker import Function

from quartermaster.catalog.service.import_rows import MalformedFile
from quartermaster.catalog.service.imports import PRODUCT_IMPORT, import_products
from quartermaster.core.settings import Settings
from quartermaster.jobs.public import JobFailed, JobOutput, JobRun, job_task


async def run_product_import(run: JobRun) -> JobOutput:
    """Import the uploaded CSV; a malformed file fails the job and changes nothing."""
    try:
        result = await import_products(
            run.database,
            run.tenant_id,
            run.input_path(),
            import_id=run.id,
            dry_run=bool(run.params.get("dry_run", False)),
            chunk_rows=run.settings.jobs_import_chunk_rows,
            resume=run.state,
            checkpoint=run.checkpoint,
        )
    except MalformedFile as exc:
        raise JobFailed(exc.message) from exc
    return JobOutput(result=result)


TASKS: list[Function] = [job_task(PRODUCT_IMPORT, run_product_import)]


def schedules(settings: Settings) -> list[CronJob]:
    return []
