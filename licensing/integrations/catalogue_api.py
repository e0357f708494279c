"""The catalogue, read by the vendor's order system: products and their items (scope catalogue:read)."""

from ninja import Router

router = Router(tags=["Catalogue"])
