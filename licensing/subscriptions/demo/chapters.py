"""The chapters of the demo customer's story, told through the services (see `story`), and its seat usage."""

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from mailer.models import Message

from licensing.accounts.services import collaborator_add, user_get_or_create
from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.subscriptions.demo.catalogue import catalogue_upsert
from licensing.subscriptions.demo.people import DEMO_CUSTOMER, DEMO_PASSWORD, PEOPLE, SUPPORT, demo_emails, email_of
from licensing.subscriptions.demo.story import C1, C2, C3, CONNECT_SITE, HQ, INFRA, MEP, Story
from licensing.subscriptions.demo.usage import USAGE_DAYS, bulk_insert, days_used, person_habits, usage_window
from licensing.subscriptions.models import Assignment, SeatUsage
from licensing.subscriptions.services import (
    assignment_delete,
    assignment_update,
    subscription_move,
    subscription_set_seats,
)
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import member_set_guest, team_create


class DemoStory(Story):
    """The story of Van der Berg Ingenieurs B.V., chapter by chapter."""

    def tell(self) -> None:
        self.first_team()
        self.infra_team()
        self.installations_team()
        self.collaboration()
        self.groups()
        self.lately()
        self.finish()

    def first_team(self) -> None:
        """Ten months ago: the first purchase creates the first team; Sanne invites her colleagues."""
        with self.at(310, "09:12"):
            for key in ("sanne", "daan", "lotte"):
                self.person(key).set_password(DEMO_PASSWORD)  # the validators would refuse "demo"
                self.users[key].save(update_fields=["password"])
            support, _created = user_get_or_create(email=SUPPORT[2], first_name=SUPPORT[0], last_name=SUPPORT[1])
            support.is_staff = support.is_superuser = True
            support.set_password(DEMO_PASSWORD)
            support.save(update_fields=["is_staff", "is_superuser", "password"])
            self.support = support
            # The first contract creates the first team, named after Sanne, its primary admin (R-T2).
            self.buy("structa-hq", C1, "sanne", "structa", 3, start=310, end=55)  # expires within 90 days
            self.teams[HQ] = Team.objects.get(customer=self.customer)
        first_colleagues = ("daan", "lotte", "thijs", "noor", "jeroen", "anouk", "pieter", "femke")
        with self.at(306, "10:05"):
            for key in first_colleagues:
                self.invite(HQ, key, by="sanne")
        with self.at(305, "08:47"):
            for key in first_colleagues:
                self.accept(HQ, key)
        with self.at(304, "11:30"):
            self.role(HQ, "daan", Member.Role.SECONDARY_ADMIN, by="sanne")
            for key in ("pieter", "jeroen"):
                self.assign(HQ, key, "structa", by="sanne")

        with self.at(200, "08:40"):
            self.buy("collection-hq", C1, "sanne", "tessaline-aec-collection", 10, start=200, end=165)
            self.buy("draftline-hq", C1, "sanne", "draftline", 6, start=200, end=165, plan="premium", sso_enabled=True)
            self.buy("solvista-hq", C1, "sanne", "solvista-render", 4, start=200, end=165)
        with self.at(199, "14:20"):
            for key in ("ruben", "marloes", "sven"):
                self.invite(HQ, key, by="sanne")
            for key in ("esther", "wouter"):
                self.invite(HQ, key, by="daan")
            self.invite(HQ, "tomasz", by="daan", guest=True)  # a structural engineer hired in
        with self.at(198, "09:02"):
            for key in ("ruben", "marloes", "sven", "esther", "wouter", "tomasz"):
                self.accept(HQ, key)
        with self.at(197, "10:15"):
            for key in ("daan", "anouk", "femke", "ruben", "marloes", "wouter"):
                self.assign(HQ, key, "tessaline-aec-collection", by="daan")
            self.assign(
                HQ, "noor", "tessaline-aec-collection", by="daan", items=["draftline", "structa", "online-storage"]
            )
            for key in ("lotte", "thijs", "sven", "esther", "tomasz"):
                self.assign(HQ, key, "draftline", by="sanne")
            for key in ("lotte", "esther", "sven"):  # Sven last: his is the seat the pool later lacks
                self.assign(HQ, key, "solvista-render", by="sanne")

    def infra_team(self) -> None:
        """Six months ago: Sanne sets up Infra & Waterbouw and hands it to Bram; a subscription moves."""
        with self.at(180, "13:00"):
            self.teams[INFRA] = team_create(
                customer=self.customer,
                name="Infra & Waterbouw",
                primary_admin=self.person("sanne"),
                actor=self.person("sanne"),
            )
            for key in ("bram", "yara", "hannah", "joost", "lieke", "mehmet", "kees"):
                self.invite(INFRA, key, by="sanne")
        with self.at(179, "08:55"):
            for key in ("bram", "yara", "hannah", "joost", "lieke", "mehmet", "kees"):
                self.accept(INFRA, key)
        with self.at(178, "16:10"):
            # Sanne hands the new team to Bram; she stays on as secondary admin (R-PA2, R-PA3).
            self.role(INFRA, "bram", Member.Role.SECONDARY_ADMIN, by="sanne")
            self.role(INFRA, "bram", Member.Role.PRIMARY_ADMIN, by="sanne")

        with self.at(150, "09:30"):
            self.buy("structa-infra", C2, "sanne", "structa", 4, start=150, end=215)
            self.buy("draftline-infra-project", C2, "sanne", "draftline", 3, start=150, end=-20)  # expired
            # Terrain Studio bought on the first contract lands in the first team (R-T7) ...
            self.buy("terrain", C1, "sanne", "terrain-studio", 5, start=150, end=215)
        with self.at(149, "10:45"):
            # ... so Sanne gives back the seat she got (R-T6) and moves it to Infra (R-T8).
            terrain = self.products["terrain-studio"]
            assignment_delete(
                assignment=Assignment.objects.get(member=self.member(HQ, "sanne"), product=terrain),
                actor=self.person("sanne"),
            )
            subscription_move(
                subscription=self.subscriptions["terrain"], to_team=self.teams[INFRA], actor=self.person("sanne")
            )
        with self.at(148, "11:20"):
            for key in ("bram", "yara", "joost", "kees"):
                self.assign(INFRA, key, "terrain-studio", by="bram")
            for key in ("bram", "hannah", "lieke"):
                self.assign(INFRA, key, "structa", by="bram")

    def installations_team(self) -> None:
        """Four months ago: support sets up Installatietechniek for Fleur, whose contract follows."""
        with self.at(121, "15:40"):
            self.teams[MEP] = team_create(
                customer=self.customer,
                name="Installatietechniek",
                primary_admin=self.person("fleur"),
                actor=self.support,
            )
        with self.at(120, "09:05"):
            self.accept(MEP, "fleur")
            self.buy("pipeflow-mep", C3, "fleur", "pipeflow-mep", 5, start=120, end=245, plan="pay_per_use")
            self.buy("draftline-mep", C3, "fleur", "draftline", 4, start=120, end=245)
            self.buy("collection-mep", C3, "fleur", "tessaline-aec-collection", 3, start=120, end=245)
        with self.at(119, "10:30"):
            for key in ("gijs", "emma", "lucas", "saskia", "niels", "ahmed", "rik"):
                self.invite(MEP, key, by="fleur")
        with self.at(118, "08:50"):
            for key in ("gijs", "emma", "lucas", "saskia", "niels", "ahmed", "rik"):
                self.accept(MEP, key)
        with self.at(117, "13:15"):
            self.role(MEP, "gijs", Member.Role.SECONDARY_ADMIN, by="fleur")
            for key in ("gijs", "emma", "lucas"):
                self.assign(MEP, key, "draftline", by="fleur")
            for key in ("saskia", "ahmed"):
                self.assign(MEP, key, "tessaline-aec-collection", by="gijs")
            for key in ("niels", "rik"):
                self.assign(MEP, key, "pipeflow-mep", by="gijs")
        with self.at(110, "11:00"):
            self.invite(HQ, "koen", by="daan")  # never accepted: the invitation has expired (R-U5)

    def collaboration(self) -> None:
        """Two months ago: a project site in Tessaline Connect brings partners in as guests (R-G1)."""
        with self.at(60, "09:00"):
            self.buy(
                "connect", C2, "sanne", "tessaline-connect", 10, start=60, end=305, collaboration_site=CONNECT_SITE
            )
        with self.at(59, "14:35"):
            for key in ("lars", "amelie", "jan", "marta"):
                first, last, _ = PEOPLE[key]
                self.users[key] = collaborator_add(
                    team=self.teams[INFRA], email=email_of(key), first_name=first, last_name=last
                ).user
        with self.at(58, "08:20"):
            for key in ("lars", "amelie", "jan"):
                self.accept(INFRA, key)
        with self.at(57, "10:10"):
            for key in ("bram", "lars", "amelie", "jan", "mehmet", "lieke"):
                self.assign(INFRA, key, "tessaline-connect", by="bram")
        with self.at(45, "09:40"):
            self.invite(INFRA, "thijs", by="bram")  # Thijs already has an account: the same one (R-U7)
        with self.at(44, "08:30"):
            self.accept(INFRA, "thijs")
            self.assign(INFRA, "thijs", "tessaline-connect", by="bram")

    def groups(self) -> None:
        """Five weeks ago: products given to groups (R-GR2). Bram gives the Havenkade project team
        Tessaline Connect; Sanne gives Visualisatie Solvista Render, whose pool is full, so that two of
        its members wait for a seat (R-GR5) while Esther holds hers directly and through the group."""
        with self.at(36, "09:30"):
            havenkade = group_create(
                team=self.teams[INFRA],
                name="Projectteam Havenkade",
                description="Everyone working on the Havenkade Rotterdam project site.",
                actor=self.person("bram"),
            )
            group_members_add(
                group=havenkade,
                members=[self.member(INFRA, key) for key in ("bram", "lars", "yara", "hannah")],
                actor=self.person("bram"),
            )
            group_product_assign(group=havenkade, product=self.products["tessaline-connect"], actor=self.person("bram"))
        with self.at(35, "14:10"):
            visualisation = group_create(
                team=self.teams[HQ],
                name="Visualisatie",
                description="Renderings for clients and tenders.",
                actor=self.person("sanne"),
            )
            group_product_assign(
                group=visualisation, product=self.products["solvista-render"], actor=self.person("sanne")
            )
            group_members_add(
                group=visualisation,
                members=[self.member(HQ, key) for key in ("esther", "marloes", "wouter")],
                actor=self.person("sanne"),
            )

    def lately(self) -> None:
        """The last month: an over-full pool, seats to move, a guest marked, new people invited."""
        with self.at(30, "16:45") as when:
            # At the renewal talks the firm dropped a Solvista seat before anyone was unassigned;
            # support allowed the pool to be over-full for now.
            subscription_set_seats(
                subscription=self.subscriptions["solvista-hq"], seats=3, allow_over_allocation=True, actor=self.support
            )
            sven = Assignment.objects.get(member=self.member(HQ, "sven"), product=self.products["solvista-render"])
            self.seated_until[sven.pk] = timezone.localdate(when) - timedelta(days=1)
        with self.at(12, "10:00"):
            # Two more Structa seats, meant for Infra: a subscription ready to be moved (R-T8).
            self.buy("structa-hq-extra", C1, "sanne", "structa", 2, start=12, end=353)
        with self.at(10, "11:25"):
            member_set_guest(member=self.member(MEP, "rik"), is_guest=True, actor=self.person("fleur"))  # R-G2
            ruben = Assignment.objects.get(
                member=self.member(HQ, "ruben"), product=self.products["tessaline-aec-collection"]
            )
            assignment_update(
                assignment=ruben, items=ruben.items.exclude(code="cloud-rendering"), actor=self.person("daan")
            )
        with self.at(6, "09:15"):
            self.invite(MEP, "vera", by="gijs")
        with self.at(4, "13:50"):
            self.invite(HQ, "ilse", by="sanne", products=["tessaline-aec-collection"])  # R-U3
        with self.at(2, "10:05"):
            self.invite(INFRA, "roel", by="bram")

    def usage(self) -> int:
        """90 days of seat usage of the active members, from the day they held the seat, as long as
        the licence check seated them (R-S3)."""
        first_day, yesterday = self.day(USAGE_DAYS), self.day(1)
        window = usage_window(first_day, yesterday)
        assignments = (
            Assignment.objects.filter(member__team__customer=self.customer, member__status=Member.Status.ACTIVE)
            .select_related("member__user", "member__team", "product")
            .order_by("pk")
        )
        rows = []
        for a in assignments:
            user, team = a.member.user, a.member.team
            keen, holiday = person_habits(user.email, first_day, USAGE_DAYS)
            for day in days_used(
                window,
                seed=f"usage|{user.email}|{a.product.code}|{team.name}",
                code=a.product.code,
                start=max(timezone.localdate(a.assigned_at), timezone.localdate(a.member.accepted_at)),
                end=self.seated_until.get(a.pk, yesterday),
                keen=keen,
                holiday=holiday,
            ):
                rows.append(SeatUsage(user=user, product=a.product, team=team, day=day))
        return bulk_insert(SeatUsage, rows, batch_size=2000)


def demo_build(out: Callable[[str], None] = print) -> tuple[Customer, bool]:
    """Build the demo customer unless it exists. Returns the customer and whether it was built now."""
    existing = Customer.objects.filter(name=DEMO_CUSTOMER).first()
    if existing is not None:
        out(f"The demo customer {DEMO_CUSTOMER} exists already: nothing changed (--reset builds it again).")
        return existing, False
    with transaction.atomic():
        last_mail = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        story = DemoStory(catalogue_upsert())
        story.tell()
        usage = story.usage()
        # The services queued their mails (invitations, products assigned, roles); nobody is to get
        # them. Deleting them before commit leaves the queue as it was, other people's mail included.
        people = {email.lower() for email in demo_emails()}
        Message.objects.filter(
            pk__in=[
                message.pk
                for message in Message.objects.filter(pk__gt=last_mail)
                if {address.lower() for address in message.to_addresses} <= people
            ]
        ).delete()
    teams = story.customer.teams.count()
    members = Member.objects.filter(team__customer=story.customer).count()
    out(f"Built {DEMO_CUSTOMER}: {teams} teams, {members} members, {usage} days of seat usage.")
    return story.customer, True
