"""Catalog HTTP API: /units, /categories, /products (+ /prices), /price-lists."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from quartermaster.catalog.imports import imports_router
from quartermaster.catalog.public import AVAILABLE_TOTAL_STATE
from quartermaster.catalog.schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    PriceCreate,
    PriceListCreate,
    PriceListRead,
    PriceListUpdate,
    PriceRead,
    ProductCreate,
    ProductPrices,
    ProductRead,
    ProductSort,
    ProductUpdate,
    SortOrder,
    UnitCreate,
    UnitRead,
)
from quartermaster.catalog.service import categories, exports, prices, products, units
from quartermaster.core.concurrency import IfMatch, etag
from quartermaster.core.db import SessionDep, get_database
from quartermaster.core.inputs import QueryFlag
from quartermaster.core.pagination import Page, PageParamsDep
from quartermaster.core.responses import CONFLICT, NOT_FOUND, STALE
from quartermaster.core.urls import API
from quartermaster.identity.public import Permission, Principal, require

JSON = "application/json"

CatalogRead = Annotated[Principal, Depends(require(Permission.CATALOG_READ))]
CatalogWrite = Annotated[Principal, Depends(require(Permission.CATALOG_WRITE))]
PricesWrite = Annotated[Principal, Depends(require(Permission.PRICES_WRITE))]

units_router = APIRouter(prefix="/units", tags=["units"])
categories_router = APIRouter(prefix="/categories", tags=["categories"])
products_router = APIRouter(prefix="/products", tags=["products"])
price_lists_router = APIRouter(prefix="/price-lists", tags=["price-lists"])
exports_router = APIRouter(prefix="/exports", tags=["exports"])


# Units


@units_router.get("", response_model=Page[UnitRead], summary="Units of measure")
async def list_units(
    principal: CatalogRead, session: SessionDep, page: PageParamsDep
) -> Page[UnitRead]:
    return await units.list_units(session, principal, page)


@units_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UnitRead,
    summary="Add a unit of measure",
    responses=CONFLICT,
)
async def create_unit(
    data: UnitCreate, principal: CatalogWrite, session: SessionDep, response: Response
) -> UnitRead:
    unit = await units.create_unit(session, principal, data)
    response.headers["Location"] = f"{API}/units/{unit.code}"
    return unit


@units_router.get(
    "/{code}", response_model=UnitRead, summary="A unit of measure", responses=NOT_FOUND
)
async def get_unit(code: str, principal: CatalogRead, session: SessionDep) -> UnitRead:
    return await units.get_unit(session, principal, code)


# Categories


@categories_router.get(
    "", response_model=Page[CategoryRead], summary="Categories in tree order, with their paths"
)
async def list_categories(
    principal: CatalogRead, session: SessionDep, page: PageParamsDep
) -> Page[CategoryRead]:
    return await categories.list_categories(session, principal, page)


@categories_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CategoryRead,
    summary="Create a category",
    responses=CONFLICT,
)
async def create_category(
    data: CategoryCreate, principal: CatalogWrite, session: SessionDep, response: Response
) -> CategoryRead:
    category = await categories.create_category(session, principal, data)
    response.headers["Location"] = f"{API}/categories/{category.id}"
    return category


@categories_router.get(
    "/{category_id}", response_model=CategoryRead, summary="A category", responses=NOT_FOUND
)
async def get_category(
    category_id: uuid.UUID, principal: CatalogRead, session: SessionDep
) -> CategoryRead:
    return await categories.get_category(session, principal, category_id)


@categories_router.patch(
    "/{category_id}",
    response_model=CategoryRead,
    summary="Rename or move a category",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_category(
    category_id: uuid.UUID, data: CategoryUpdate, principal: CatalogWrite, session: SessionDep
) -> CategoryRead:
    return await categories.update_category(session, principal, category_id, data)


@categories_router.delete(
    "/{category_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an empty category",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_category(
    category_id: uuid.UUID, principal: CatalogWrite, session: SessionDep
) -> Response:
    await categories.delete_category(session, principal, category_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Products


@products_router.get("", response_model=Page[ProductRead], summary="Search and list products")
async def list_products(
    principal: CatalogRead,
    session: SessionDep,
    page: PageParamsDep,
    request: Request,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Case-insensitive substring (or prefix) of the SKU, name or barcode",
        ),
    ] = None,
    category_id: Annotated[
        uuid.UUID | None, Query(description="This category and all below it")
    ] = None,
    is_active: Annotated[QueryFlag | None, Query()] = None,
    below_reorder: Annotated[
        QueryFlag | None,
        Query(
            description="true: products with a reorder point whose available stock across "
            "all warehouses is at or below it; false: all others"
        ),
    ] = None,
    sort: Annotated[ProductSort, Query()] = ProductSort.SKU,
    order: Annotated[SortOrder, Query()] = SortOrder.ASC,
) -> Page[ProductRead]:
    return await products.list_products(
        session,
        principal,
        page,
        q=q,
        category_id=category_id,
        is_active=is_active,
        below_reorder=below_reorder,
        available_total=getattr(request.app.state, AVAILABLE_TOTAL_STATE, None),
        sort=sort,
        order=order,
    )


@products_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductRead,
    summary="Create a product",
    responses=CONFLICT,
)
async def create_product(
    data: ProductCreate, principal: CatalogWrite, session: SessionDep, response: Response
) -> ProductRead:
    product = await products.create_product(session, principal, data)
    response.headers["Location"] = f"{API}/products/{product.id}"
    response.headers["ETag"] = etag(product.version)
    return product


@products_router.get(
    "/{product_id}", response_model=ProductRead, summary="A product", responses=NOT_FOUND
)
async def get_product(
    product_id: uuid.UUID, principal: CatalogRead, session: SessionDep
) -> Response:
    product = await products.get_product(session, principal, product_id)
    # A Response of the model's own JSON: FastAPI would validate and serialize it again.
    return Response(
        product.model_dump_json(), media_type=JSON, headers={"ETag": etag(product.version)}
    )


@products_router.patch(
    "/{product_id}",
    response_model=ProductRead,
    summary="Change a product (is_active=false archives it)",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def update_product(
    product_id: uuid.UUID,
    data: ProductUpdate,
    principal: CatalogWrite,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProductRead:
    product = await products.update_product(session, principal, product_id, data, if_match)
    response.headers["ETag"] = etag(product.version)
    return product


@products_router.delete(
    "/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a product and its price history",
    responses={**NOT_FOUND, **CONFLICT, **STALE},
)
async def delete_product(
    product_id: uuid.UUID, principal: CatalogWrite, session: SessionDep, if_match: IfMatch = None
) -> Response:
    await products.delete_product(session, principal, product_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@products_router.get(
    "/{product_id}/prices",
    response_model=ProductPrices,
    summary="Current price per list and the full price history",
    responses=NOT_FOUND,
)
async def product_prices(
    product_id: uuid.UUID, principal: CatalogRead, session: SessionDep
) -> ProductPrices:
    return await prices.product_prices(session, principal, product_id)


@products_router.post(
    "/{product_id}/prices",
    status_code=status.HTTP_201_CREATED,
    response_model=PriceRead,
    summary="Record a price (appended to the history)",
    responses=NOT_FOUND,
)
async def add_price(
    product_id: uuid.UUID,
    data: PriceCreate,
    principal: PricesWrite,
    session: SessionDep,
    response: Response,
) -> PriceRead:
    price = await prices.add_price(session, principal, product_id, data)
    response.headers["Location"] = f"{API}/products/{product_id}/prices"
    return price


# Price lists


@price_lists_router.get("", response_model=Page[PriceListRead], summary="Price lists")
async def list_price_lists(
    principal: CatalogRead, session: SessionDep, page: PageParamsDep
) -> Page[PriceListRead]:
    return await prices.list_price_lists(session, principal, page)


@price_lists_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PriceListRead,
    summary="Create a price list",
    responses=CONFLICT,
)
async def create_price_list(
    data: PriceListCreate, principal: PricesWrite, session: SessionDep, response: Response
) -> PriceListRead:
    price_list = await prices.create_price_list(session, principal, data)
    response.headers["Location"] = f"{API}/price-lists/{price_list.id}"
    return price_list


@price_lists_router.get(
    "/{price_list_id}", response_model=PriceListRead, summary="A price list", responses=NOT_FOUND
)
async def get_price_list(
    price_list_id: uuid.UUID, principal: CatalogRead, session: SessionDep
) -> PriceListRead:
    return await prices.get_price_list(session, principal, price_list_id)


@price_lists_router.patch(
    "/{price_list_id}",
    response_model=PriceListRead,
    summary="Rename a price list or make it the default",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_price_list(
    price_list_id: uuid.UUID, data: PriceListUpdate, principal: PricesWrite, session: SessionDep
) -> PriceListRead:
    return await prices.update_price_list(session, principal, price_list_id, data)


@exports_router.get(
    "/products.csv",
    response_class=StreamingResponse,
    summary="Every product as CSV (streamed; the columns the product import reads)",
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_products(principal: CatalogRead, request: Request) -> StreamingResponse:
    return StreamingResponse(
        exports.product_csv(get_database(request), principal.tenant_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products.csv"'},
    )


# The app includes each of these at /api/v1 (one level of routers).
routers = [
    products_router,
    units_router,
    categories_router,
    price_lists_router,
    exports_router,
    imports_router,  # product import jobs (imports.py)
]
