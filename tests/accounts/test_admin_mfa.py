"""The second factors in the Django admin (issue 19): support sees who has which and removes a lost
one; nobody reads or filters the secrets, and only a superuser removes the factor of an account that
holds rights."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture
def desk(db):
    """A support desk account that may view and delete authenticators, and not more."""
    user = UserFactory(email="desk@vendor.example", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="mfa", codename__in=["view_authenticator", "delete_authenticator"]
        )
    )
    return user


def totp(user) -> Authenticator:
    return Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "gAAAA-encrypted"})


def test_support_never_filters_on_the_secrets_of_a_second_factor(client, desk):
    totp(UserFactory())
    client.force_login(desk)
    response = client.get(reverse("admin:mfa_authenticator_changelist") + "?data__icontains=gAAAA")
    assert response.status_code == 400
    page = client.get(reverse("admin:mfa_authenticator_changelist")).content.decode()
    assert "gAAAA" not in page


def test_support_removes_a_customers_lost_second_factor(client, desk):
    factor = totp(UserFactory(email="lost-phone@example.com"))
    client.force_login(desk)
    response = client.post(reverse("admin:mfa_authenticator_delete", args=[factor.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=factor.pk).exists()


def test_only_a_superuser_removes_the_second_factor_of_an_account_with_rights(client, desk):
    factor = totp(UserFactory(email="root@vendor.example", is_staff=True, is_superuser=True))
    client.force_login(desk)
    response = client.post(reverse("admin:mfa_authenticator_delete", args=[factor.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Authenticator.objects.filter(pk=factor.pk).exists()
