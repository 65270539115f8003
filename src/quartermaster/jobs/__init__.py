"""Jobs: background work with arq, and what users see of it (the ``jobs`` table).

Design notes (details in docs/architecture.md, "Jobs"):
- A job is a row first: the request inserts it (``queued``) in its own transaction and
  enqueues it to arq only after that transaction committed (an ``after_commit`` hook), with
  the job id as arq's job id, so a duplicate enqueue is a no-op. A cron sweeper enqueues
  jobs still ``queued`` after a while again: a crash between commit and enqueue delays a
  job, never loses it. A rolled-back request never enqueues.
- Delivery is at least once. A worker holds a job under a lease (arq's in-progress key,
  short and renewed by a heartbeat); a killed worker's job runs again once the lease
  lapses. ``attempts`` on the row fences the attempts: each checkpoint is an UPDATE guarded
  by the attempt number, in the same transaction as the work it records, so an outdated
  attempt cannot write after a newer one started and a resumed job continues exactly
  where the last committed checkpoint left it.
- Tasks live in each module's ``tasks.py`` (ids in, idempotent, one session per
  transaction with the tenant set) and register with :func:`jobs.public.job_task`; the
  application layer (``modules.load_tasks``) collects them for the worker.
"""
