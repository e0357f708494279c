"""Dialogs that also work without JavaScript.

A dialog screen has one template, `<app>/<screen>.html`, which extends base.html and wraps the
dialog in `{% partialdef dialog inline %}` (django-template-partials). With htmx the partial alone
is swapped into the shared modal (#sk-dialog-content); without it, the whole page is shown and the
form posts as a plain form.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def render_dialog(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """The dialog alone for htmx, the full page otherwise. A failed form is rendered again with
    status 200 for htmx (htmx swaps no 4xx) so the admin sees the errors and what they typed."""
    if getattr(request, "htmx", False):
        return render(request, f"{template}#dialog", context)
    return render(request, template, context, status=status)


def dialog_done(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful dialog: go to `url` (a full page, with the Django messages set before)."""
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)
