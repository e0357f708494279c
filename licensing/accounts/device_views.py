"""The portal's page where a person signs the desktop software in through the browser (R-ID5; the
verification page of RFC 8628 §3.3): /device/, which the software opens with its user code filled in.

Behind the portal's own sign-in (`login_required`), so whatever it asks (the password, a second
factor, single sign-on) is asked here too: the device is signed in as the person who approves. Two
steps, each a POST: the code, then "Sign in Seatkeeper on <device>?" with Approve and Deny. The code in
the address only fills the field in: a link sent by someone else approves nothing by itself
(RFC 8628 §5.4), and looking a code up, which counts wrong ones, is never a GET."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from licensing.accounts import device_grant

DEVICE_APPROVED = _("%(device)s is signed in as %(email)s. You can go back to the software.")
DEVICE_DENIED = _("The sign-in of %(device)s was denied. The software is not signed in.")
# Room for the code with its dash and spaces around it, nothing like a page of text.
CODE_MAX_LENGTH = 32


class DeviceCodeForm(forms.Form):
    """The user code the software shows, as typed: `device_grant.user_code_normalise` reads it."""

    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("The code the software shows, like BCDF-GHJK. Capitals and the dash do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


@never_cache
@login_required
def device_sign_in(request):
    """/device/: type the code (or confirm the one in the address), then approve or deny the device."""
    if request.method != "POST":
        form = DeviceCodeForm(initial={"code": request.GET.get("code", "")[:CODE_MAX_LENGTH]})
        return render(request, "accounts/device_code.html", {"form": form})
    form = DeviceCodeForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/device_code.html", {"form": form})
    try:
        authorization = device_grant.device_authorization_find(user_code=form.cleaned_data["code"], user=request.user)
    except ValidationError as error:
        form.add_error("code", error.messages)
        status = 429 if error.code == "throttled" else 200
        return render(request, "accounts/device_code.html", {"form": form}, status=status)
    decision = request.POST.get("decision")
    if decision not in ("approve", "deny"):
        return render(request, "accounts/device_confirm.html", {"authorization": authorization})
    decide = (
        device_grant.device_authorization_approve if decision == "approve" else device_grant.device_authorization_deny
    )
    try:
        authorization = decide(authorization=authorization, user=request.user)
    except ValidationError as error:
        form.add_error("code", error.messages)
        return render(request, "accounts/device_code.html", {"form": form})
    if decision == "approve":
        messages.success(request, DEVICE_APPROVED % {"device": authorization.device_name, "email": request.user.email})
    else:
        messages.info(request, DEVICE_DENIED % {"device": authorization.device_name})
    return redirect("home")
