"""The jobs module's domain errors (problem+json through core.errors)."""

from __future__ import annotations

from quartermaster.core.errors import AppError, Conflict, NotFound


class JobNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No job with this id in this organization.", code="job-not-found")


class JobNotFinished(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The job is {status}; its result is available once it has succeeded.",
            code="job-not-finished",
            extensions={"job_status": status},
        )


class JobHasNoResult(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The job {status} and has no result to download.",
            code="job-has-no-result",
            extensions={"job_status": status},
        )


class JobHasNoFile(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "This job's result is not a file; it is in the job itself (GET /api/v1/jobs/{id}).",
            code="job-has-no-file",
        )


class JobFileExpired(AppError):
    def __init__(self) -> None:
        super().__init__(
            410,
            "job-file-expired",
            "The job's file has been deleted after its retention period; run the job again.",
        )


class JobAlreadyFinished(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"The job has already {status}; only queued or running jobs can be cancelled.",
            code="job-already-finished",
            extensions={"job_status": status},
        )


class CancelNotAllowed(AppError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "job-cancel-forbidden",
            "Only the member or API key that started this job, or an admin, may cancel it.",
        )


class UploadTooLarge(AppError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            "upload-too-large",
            f"The file is larger than the {limit:,} bytes this server accepts "
            "(QM_JOBS_MAX_UPLOAD_BYTES).",
        )
