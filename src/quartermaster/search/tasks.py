"""The search module's background job: re-deriving the index after a change of language."""

from __future__ import annotations

from arq.cron import CronJob
from arq.worker import Function

from quartermaster.core.settings import Settings
from quartermaster.jobs.public import job_task
from quartermaster.search.service import LANGUAGE_JOB, rederive_index

TASKS: list[Function] = [job_task(LANGUAGE_JOB, rederive_index)]


def schedules(settings: Settings) -> list[CronJob]:
    return []
