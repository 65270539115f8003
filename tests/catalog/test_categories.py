"""The category tree: paths, sibling-unique names, moves that keep it a tree, deletes."""

from __future__ import annotations

from tests.builders import problem
from tests.catalog.conftest import Catalog, catalog_rows, ok
from tests.conftest import TestServices
from tests.identity.conftest import Account


async def _tree(catalog: Catalog) -> dict[str, str]:
    tools = await catalog.category("Tools")
    power = await catalog.category("Power tools", tools["id"])
    drills = await catalog.category("Drills", power["id"])
    garden = await catalog.category("Garden")
    return {
        "tools": tools["id"],
        "power": power["id"],
        "drills": drills["id"],
        "garden": garden["id"],
    }


class TestPaths:
    async def test_list_returns_every_category_with_its_path_in_tree_order(
        self, catalog: Catalog
    ) -> None:
        ids = await _tree(catalog)
        body = ok(await catalog.get("/categories"))
        assert [(c["path"], c["depth"]) for c in body["items"]] == [
            ("Garden", 0),
            ("Tools", 0),
            ("Tools / Power tools", 1),
            ("Tools / Power tools / Drills", 2),
        ]
        assert body["next_cursor"] is None
        one = ok(await catalog.get(f"/categories/{ids['drills']}"))
        assert one["path"] == "Tools / Power tools / Drills"
        assert one["parent_id"] == ids["power"]

    async def test_list_paginates_without_gaps(self, catalog: Catalog) -> None:
        await _tree(catalog)
        seen, cursor = [], None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            body = ok(await catalog.get("/categories", **params))
            seen += [c["path"] for c in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == ["Garden", "Tools", "Tools / Power tools", "Tools / Power tools / Drills"]


class TestNames:
    async def test_sibling_names_are_unique_case_insensitively_roots_included(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        ids = await _tree(catalog)
        before = await catalog_rows(services, owner.tenant_id)
        root_clash = await catalog.post("/categories", {"name": "tools"})
        child_clash = await catalog.post(
            "/categories", {"name": "POWER TOOLS", "parent_id": ids["tools"]}
        )
        for response in (root_clash, child_clash):
            assert response.status_code == 409, response.text
            assert response.json()["code"] == "category-name-taken"
        assert await catalog_rows(services, owner.tenant_id) == before
        # The same name under another parent is fine.
        assert (await catalog.category("Drills", ids["garden"]))["path"] == "Garden / Drills"

    async def test_rename_onto_a_sibling_is_409_and_changes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        ids = await _tree(catalog)
        before = await catalog_rows(services, owner.tenant_id)
        response = await catalog.patch(f"/categories/{ids['garden']}", {"name": "Tools"})
        problem(response, 409, "category-name-taken")
        assert await catalog_rows(services, owner.tenant_id) == before

    async def test_unknown_parent_is_422(self, catalog: Catalog) -> None:
        response = await catalog.post(
            "/categories", {"name": "x", "parent_id": "0190b3c4-0000-7000-8000-000000000000"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unknown-category"


class TestMoves:
    async def test_move_changes_the_paths_of_the_whole_subtree(self, catalog: Catalog) -> None:
        ids = await _tree(catalog)
        moved = ok(await catalog.patch(f"/categories/{ids['power']}", {"parent_id": ids["garden"]}))
        assert moved["path"] == "Garden / Power tools"
        drills = ok(await catalog.get(f"/categories/{ids['drills']}"))
        assert drills["path"] == "Garden / Power tools / Drills"
        to_root = ok(await catalog.patch(f"/categories/{ids['power']}", {"parent_id": None}))
        assert (to_root["path"], to_root["depth"]) == ("Power tools", 0)

    async def test_move_under_itself_or_a_descendant_is_409_and_changes_nothing(
        self, catalog: Catalog, owner: Account, services: TestServices
    ) -> None:
        ids = await _tree(catalog)
        before = await catalog_rows(services, owner.tenant_id)
        for target in (ids["tools"], ids["power"], ids["drills"]):
            response = await catalog.patch(f"/categories/{ids['tools']}", {"parent_id": target})
            assert response.status_code == 409, response.text
            assert response.json()["code"] == "category-cycle"
        assert await catalog_rows(services, owner.tenant_id) == before


class TestDelete:
    async def test_delete_of_a_category_with_products_or_children_is_409(
        self, catalog: Catalog
    ) -> None:
        ids = await _tree(catalog)
        await catalog.product(category_id=ids["drills"])
        with_products = await catalog.delete(f"/categories/{ids['drills']}")
        problem(with_products, 409, "category-in-use")
        assert with_products.json()["products"] == 1
        with_children = await catalog.delete(f"/categories/{ids['tools']}")
        problem(with_children, 409, "category-in-use")
        assert with_children.json()["children"] == 1
        assert (await catalog.get(f"/categories/{ids['drills']}")).status_code == 200

    async def test_an_empty_category_can_be_deleted(self, catalog: Catalog) -> None:
        ids = await _tree(catalog)
        assert (await catalog.delete(f"/categories/{ids['garden']}")).status_code == 204
        problem(await catalog.get(f"/categories/{ids['garden']}"), 404, "category-not-found")


async def test_category_filter_includes_descendants(catalog: Catalog) -> None:
    ids = await _tree(catalog)
    in_tools = await catalog.product(category_id=ids["tools"])
    in_drills = await catalog.product(category_id=ids["drills"])
    await catalog.product(category_id=ids["garden"])
    await catalog.product()
    found = await catalog.all_products(category_id=ids["tools"])
    assert {p["id"] for p in found} == {in_tools["id"], in_drills["id"]}
    only_drills = await catalog.all_products(category_id=ids["drills"])
    assert [p["id"] for p in only_drills] == [in_drills["id"]]
