"""Ids that come from the browser, as forms and views read them.

A posted id is text. Django reads letters as "not a valid value", but lets two kinds through to
the database: digits that are no ASCII digits ("²" says isdigit() but int() refuses it) and numbers
beyond the database's integers, which SQLite refuses with an OverflowError in an `__in` lookup. Both
were 500s; here they are what they are: not an id of anything."""

from django import forms
from django.core.exceptions import ValidationError

# The range of BigAutoField (and of every integer column of SQLite and PostgreSQL's bigint).
MAX_ID = 2**63 - 1


def id_from(value) -> int | None:
    """`value` as a database id: ASCII digits of a number the database can hold; else None."""
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, with an id beyond the database's integers refused like letters (`invalid_pk_value`)
    instead of reaching the database."""

    def _check_values(self, value):
        if not self.to_field_name and isinstance(value, list | tuple):
            for pk in value:
                try:
                    number = int(str(pk))
                except ValueError:
                    continue  # letters: Django's own check refuses them
                if not -MAX_ID - 1 <= number <= MAX_ID:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                    )
        return super()._check_values(value)
