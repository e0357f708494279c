"""Forms of the user admin: accounts are identified by e-mail address, not by a username."""

from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from licensing.accounts.models import User


class UserAdminCreationForm(AdminUserCreationForm):
    """Create an account (for example a support staff member's) with an e-mail address and a password.
    An address that differs from an existing one only in case is refused (the Lower(email) constraint)."""

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "language", "is_staff")
        field_classes = {}


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}
