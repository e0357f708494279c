"""The Django admin in which the vendor's support staff work (SPEC §2, last column): customers, teams
and members, and the pieces the other apps' admins share.

A field that carries a rule (a member's role or guest flag, who is primary admin, a team's seats) is
read-only in the change forms. It changes on a page or through an action that calls the same
service as the portal, so no path skips a check, and every change leaves an activity row with the
staff member as actor (the activity middleware marks /admin/ requests as via="admin"). A refusal
shows as a form error or an admin message, never as a server error.

Each model's admin is a module of its own (`customer`, `team`, `member`); `base` holds the shared
pieces. Django's admin autodiscovery imports this package, which registers them all.
"""

# Importing a model's module registers its admin.
from licensing.teams.admin import customer, member, team  # noqa: F401

# What `licensing.accounts.admin` imports from here; new code imports it from `base`.
from licensing.teams.admin.base import ReadOnlyInline, count_subquery, resend_invitations

__all__ = ["ReadOnlyInline", "count_subquery", "resend_invitations"]
