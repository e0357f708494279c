"""The catalogue, read by the vendor's order system: products and their items (scope catalogue:read)."""

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from licensing.subscriptions.models import Product, ProductItem

from . import problems
from .auth import catalogue_read
from .schemas import PagingQuery, Text, page

router = Router(tags=["Catalogue"])


class ItemOut(Schema):
    code: str
    name: str
    kind: str = Field(description="software or service")


class ProductOut(Schema):
    code: str = Field(description="The product's code: what a purchase names, and the desktop software checks.")
    name: str
    kind: str = Field(description="software, collection or cloud")
    description: str
    is_collaboration: bool
    items: list[ItemOut] = Field(description="The parts that can be assigned on their own (R-P2).")

    @staticmethod
    def resolve_items(product: Product) -> list[ProductItem]:
        return list(product.items.all())


class ProductList(Schema):
    count: int
    items: list[ProductOut]


def products():
    return Product.objects.prefetch_related(
        Prefetch("items", queryset=ProductItem.objects.order_by("kind", "name", "pk"))
    ).order_by("code")


@router.get(
    "/products",
    auth=catalogue_read,
    response={200: ProductList, **problems.responses(401, 403, 422, 503)},
    operation_id="product_list",
    summary="List products",
)
def product_list(request: HttpRequest, paging: PagingQuery):
    count, items = page(products(), paging)
    return {"count": count, "items": items}


@router.get(
    "/products/{code}",
    auth=catalogue_read,
    response={200: ProductOut, **problems.responses(401, 403, 404, 422, 503)},
    operation_id="product_get",
    summary="Get a product with its items",
)
def product_get(request: HttpRequest, code: Text(60, min_length=1)):
    return get_object_or_404(products(), code=code)
