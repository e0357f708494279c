"""Customers, contracts and subscriptions for the vendor's order system (R-API1)."""

from ninja import Router

router = Router(tags=["Orders"])
