from django.contrib.auth.backends import ModelBackend

from licensing.accounts.models import User


class EmailBackend(ModelBackend):
    """Signs people in by e-mail address, whatever the case they type it in."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username or kwargs.get(User.USERNAME_FIELD)
        if not email or password is None:
            return None
        try:
            user = User.objects.with_email(email).get()
        except User.DoesNotExist:
            # Run the hasher anyway, so that a wrong address takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
