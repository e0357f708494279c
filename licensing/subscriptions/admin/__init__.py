"""The support staff's admin of products, contracts, subscriptions, assignments and seat usage.

What customers buy is entered here and runs through the services: a purchase (`purchase_record`),
added seats (`subscription_add_seats`), a seat count set by hand (`subscription_set_seats`, which
refuses to go below what the team has assigned unless the over-allocation is allowed on purpose),
a renewal (`subscription_renew`), a new contract manager (`contract_change_manager`) and a move to
another team (`subscription_move`, where support may do the moves of R-T11 but not those of R-T10).
Seats are assigned and unassigned through the assignment services (R-SE1).

Each model's admin is a module of its own (`product`, `contract`, `subscription` with the pages
behind its actions in `subscription_pages`, `assignment`, `seat_usage`). Django's admin
autodiscovery imports this package, which registers them all.
"""

# Importing a model's module registers its admin.
from licensing.subscriptions.admin import assignment, contract, product, seat_usage, subscription  # noqa: F401
