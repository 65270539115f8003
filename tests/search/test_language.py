"""The tenant's text-search language (PUT /search/settings): a change is a job that
re-derives the indexed documents in batches, run here by the real worker; search answers
meanwhile (new documents and queries in the new language at once, the others once the job
reaches them); one change at a time (409); the job's progress is visible."""

from __future__ import annotations

import uuid

from httpx import AsyncClient, Response

from quartermaster.core.settings import Settings
from quartermaster.core.urls import API
from quartermaster.jobs.events import JobEvents
from tests.builders import problem
from tests.catalog.conftest import outbox
from tests.conftest import TestServices
from tests.identity.conftest import Account, Identity
from tests.jobs.conftest import run_queued_jobs
from tests.search.conftest import Index, product

BATCH = 2


async def _titles(client: AsyncClient, account: Account, q: str) -> list[str]:
    response = await client.get(f"{API}/search", headers=account.headers, params={"q": q})
    assert response.status_code == 200, response.text
    return [hit["title"] for hit in response.json()["items"]]


async def _put(client: AsyncClient, account: Account, language: str) -> Response:
    return await client.put(
        f"{API}/search/settings", headers=account.headers, json={"language": language}
    )


async def _settings(client: AsyncClient, account: Account) -> dict:  # type: ignore[type-arg]
    response = await client.get(f"{API}/search/settings", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


async def test_a_change_of_language_is_a_job_and_search_answers_while_it_runs(
    client: AsyncClient,
    identity: Identity,
    owner: Account,
    index: Index,
    settings: Settings,
    services: TestServices,
) -> None:
    await index.add(
        product("Schrauben und Muttern", "SCH-1", body="Verzinkte Schrauben"),
        *[product(f"Dübel Nummer {n}", f"DUB-{n}") for n in range(4)],
    )
    assert await _settings(client, owner) == {"language": "english", "reindex": None}
    assert await _titles(client, owner, "Schraube ") == []  # English stems: no match

    viewer = await identity.member(owner, "viewer")
    assert (
        "'settings:write'"
        in problem(await _put(client, viewer, "german"), 403, "permission-denied")["detail"]
    )
    assert (
        "language"
        in problem(await _put(client, owner, "klingon"), 422, "validation-failed")["detail"]
    )
    assert await _settings(client, owner) == {"language": "english", "reindex": None}

    changed = await _put(client, owner, "german")
    assert changed.status_code == 202, changed.text
    job = changed.json()["reindex"]
    assert changed.json()["language"] == "german"
    assert (job["kind"], job["status"]) == ("search_rederive", "queued")
    assert changed.headers["Location"] == f"{API}/jobs/{job['id']}"
    assert (await _settings(client, owner))["reindex"]["id"] == job["id"]

    # Until the worker has run: search answers; queries and new documents are German
    # at once, the documents not yet re-derived keep their English lexemes.
    assert await _titles(client, owner, "SCH-1") == ["Schrauben und Muttern"]
    assert await _titles(client, owner, "Schraube ") == []
    await index.add(product("Gelbe Kabelbinder", "KAB-1"))
    assert await _titles(client, owner, "Kabelbindern ") == ["Gelbe Kabelbinder"]

    # One change at a time: another language is refused, the same one is that job.
    refused = await _put(client, owner, "french")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "search-language-change-in-progress"
    assert refused.json()["job_id"] == job["id"]
    again = await _put(client, owner, "german")
    assert again.status_code == 202
    assert again.json()["reindex"]["id"] == job["id"]

    worker_settings = settings.model_copy(update={"search_rederive_batch": BATCH})
    await run_queued_jobs(worker_settings)

    done = (await client.get(f"{API}/jobs/{job['id']}", headers=owner.headers)).json()
    assert (done["status"], done["progress"]) == ("succeeded", 100)
    # the five English documents, in batches of two; the new one was German already
    assert done["result"] == {"language": "german", "documents": 5}
    progress = [
        payload["progress"]
        for kind, payload in await outbox(services, owner.tenant_id)
        if kind == JobEvents.PROGRESS and payload["id"] == job["id"]
    ]
    assert progress, "no progress was reported before the end"
    assert progress == sorted(progress)
    assert 0 < progress[0] < 100

    assert await _titles(client, owner, "Schraube ") == ["Schrauben und Muttern"]
    assert await _settings(client, owner) == {"language": "german", "reindex": None}
    unchanged = await _put(client, owner, "german")
    assert unchanged.status_code == 200
    assert unchanged.json() == {"language": "german", "reindex": None}


async def test_the_job_changes_only_its_own_tenants_documents(
    client: AsyncClient, identity: Identity, owner: Account, index: Index, settings: Settings
) -> None:
    other = await identity.signup("Beta")
    theirs = Index(index.database, uuid.UUID(other.tenant_id))
    await theirs.add(product("Schrauben und Muttern", "SCH-2"))
    await index.add(product("Schrauben und Muttern", "SCH-1"))
    assert (await _put(client, owner, "german")).status_code == 202
    await run_queued_jobs(settings)
    assert await _titles(client, owner, "Schraube ") == ["Schrauben und Muttern"]
    assert await _titles(client, other, "Schraube ") == []
    assert await _settings(client, other) == {"language": "english", "reindex": None}
