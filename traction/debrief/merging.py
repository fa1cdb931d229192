"""The merge prompt of the debrief's edit pages (a recommendation, an action item).

Two people open the same record; the first saves; the second's save is refused by the
service (a stale version). The page then compares three sets of values, field by field: what
the second person *opened* (carried by the form, signed, in the hidden ``opened`` field),
what they *typed*, and what is *saved* now:

- a field only the other person changed takes their value (the form now shows it);
- a field only this person changed keeps theirs;
- a field both changed, to different values, is offered: keep mine or take theirs.

The opened values only decide these defaults: the service still checks the version. A form
without a readable ``opened`` (an old page, a tampered one) offers every field that differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from django import forms
from django.core import signing
from django.db.models import Model
from django.http import QueryDict

from traction.core.errors import Conflict, ValidationFailed
from traction.core.web import apply_domain_errors

F = TypeVar("F", bound=forms.BaseForm)

SALT = "traction.debrief.merging.opened"
OPENED = "opened"
# Fields of an edit form that are not the record's values.
NOT_VALUES = frozenset({"version", OPENED, "note"})


class OpenedField(forms.CharField):
    """The hidden, signed values the page was opened with (see the module's docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, widget=forms.HiddenInput, strip=False, **kwargs)


def normal(form_field: forms.Field, value: Any) -> Any:
    """A field's value in one comparable, JSON-able form, whether it comes from a record
    (ids, dates) or from a form's cleaned data (model instances, a QuerySet)."""
    if isinstance(form_field, forms.ModelMultipleChoiceField) or isinstance(
        value, list | tuple | set
    ):
        return sorted(int(getattr(v, "pk", v)) for v in (value or []))
    if isinstance(form_field, forms.BooleanField):
        return bool(value)
    if isinstance(value, Model):
        return value.pk
    if isinstance(form_field, forms.ModelChoiceField):
        return int(value) if value not in (None, "") else None
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def values(form: forms.BaseForm, raw: Mapping[str, Any]) -> dict[str, Any]:
    """``raw`` (a record's initial values or a form's cleaned data) as normal values, for
    every field of ``form`` that holds one."""
    return {
        name: normal(f, raw.get(name)) for name, f in form.fields.items() if name not in NOT_VALUES
    }


def seal(opened: Mapping[str, Any]) -> str:
    return signing.dumps(dict(opened), salt=SALT, compress=True)


def unseal(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        found = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return found if isinstance(found, dict) else None


def put(data: QueryDict, form_field: forms.Field, name: str, value: Any) -> None:
    """Write a normal value into posted ``data`` as the browser would have sent it."""
    if isinstance(value, list):
        data.setlist(name, [str(v) for v in value])
    elif isinstance(form_field, forms.BooleanField):
        if value:
            data[name] = "on"
        else:
            data.pop(name, None)
    else:
        data[name] = "" if value is None else str(value)


def take_theirs_where_chosen(
    data: QueryDict, form: forms.BaseForm, saved: Mapping[str, Any]
) -> None:
    """The prompt's choices: each ``keep_<field>=theirs`` takes the value saved now."""
    for key in list(data):
        name = key[5:]
        if key.startswith("keep_") and data[key] == "theirs" and name in saved:
            put(data, form.fields[name], name, saved[name])


@dataclass
class Merge:
    taken: list[str] = field(default_factory=list)  # only they changed: theirs now in the form
    both: list[str] = field(default_factory=list)  # both changed, differently: to choose

    def rows(
        self, form: forms.BaseForm, mine: Mapping[str, Any], saved: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "label": label(form, name),
                "theirs": shown(form.fields[name], saved[name]),
                "mine": shown(form.fields[name], mine[name]),
            }
            for name in self.both
        ]

    def taken_labels(self, form: forms.BaseForm) -> list[str]:
        return [label(form, name) for name in self.taken]


def three_way(
    opened: Mapping[str, Any] | None, mine: Mapping[str, Any], saved: Mapping[str, Any]
) -> Merge:
    merge = Merge()
    for name, theirs in saved.items():
        typed = mine.get(name)
        if typed == theirs:
            continue
        if opened is None or name not in opened:
            merge.both.append(name)
        elif typed == opened[name]:
            merge.taken.append(name)
        elif theirs != opened[name]:
            merge.both.append(name)
    return merge


def merge_into(
    data: QueryDict, form: forms.BaseForm, saved: Mapping[str, Any], version: int
) -> Merge:
    """After a refused save of the valid ``form`` (posted as ``data``): compare, write the
    values only they changed into ``data``, and make ``data`` carry the version and values
    saved now (so the next save is checked against those)."""
    mine = values(form, form.cleaned_data)
    merge = three_way(unseal(data.get(OPENED)), mine, saved)
    for name in merge.taken:
        put(data, form.fields[name], name, saved[name])
    data["version"] = str(version)
    data[OPENED] = seal(saved)
    return merge


@dataclass
class Saving(Generic[F]):
    """How an edit page's save went: ``saved``, or the form to show again (with the merge
    prompt's ``rows`` when a field was changed by both) and the fields of theirs it took."""

    form: F
    saved: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """What the success message adds when someone else's changes were kept."""
        if not self.taken:
            return ""
        names = [t.lower() for t in self.taken]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return (
            f" Someone else had saved it meanwhile: their changes to {listed} were kept with yours."
        )


def save(
    data: QueryDict,
    form: F,
    initial: Mapping[str, Any],
    *,
    form_for: Callable[[QueryDict], F],
    write: Callable[[F], object],
    reread: Callable[[], tuple[Mapping[str, Any], int]],
    noun: str,
    field_map: Mapping[str, str] | None = None,
) -> Saving[F]:
    """Save an edit page's posted ``data``: the prompt's choices taken (``form`` is the page's
    form, ``initial`` the record's values as opened by this request), then ``write``. A save
    refused as stale is merged against what ``reread`` returns (the record's values now and
    its version) and, when no field was changed by both, tried again (at most twice more:
    then the page shows where things stand)."""
    take_theirs_where_chosen(data, form, values(form, initial))
    out = Saving(form_for(data))
    for _attempt in range(3):
        form = out.form
        if not form.is_valid():
            return out
        try:
            write(form)
        except Conflict:
            now, version = reread()
            saved = values(form, now)
            merge = merge_into(data, form, saved, version)
            mine = values(form, form.cleaned_data)
            out.taken += [t for t in merge.taken_labels(form) if t not in out.taken]
            out.form = form_for(data)
            if merge.both:
                out.rows = merge.rows(out.form, mine, saved)
                out.form.is_valid()
                out.form.add_error(
                    None,
                    f"Someone else saved this {noun} while you were editing: yours is not "
                    "saved yet.",
                )
                return out
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, field_map)
            return out
        else:
            out.saved = True
            return out
    out.form.is_valid()
    out.form.add_error(None, f"Others keep saving this {noun}: try again in a moment.")
    return out


def label(form: forms.BaseForm, name: str) -> str:
    return str(form.fields[name].label or name.replace("_", " ").capitalize())


def shown(form_field: forms.Field, value: Any) -> str:
    """A normal value as the prompt shows it."""
    if isinstance(form_field, forms.ModelChoiceField):
        ids = value if isinstance(value, list) else [value] if value is not None else []
        objs = form_field.queryset.filter(pk__in=ids)  # type: ignore[union-attr]
        names = {o.pk: form_field.label_from_instance(o) for o in objs}
        return ", ".join(names.get(i, f"#{i}") for i in ids) or "—"
    if isinstance(form_field, forms.BooleanField):
        return "yes" if value else "no"
    if isinstance(form_field, forms.DateField) and value:
        day = date.fromisoformat(value)
        return f"{day.day} {day:%b %Y}"
    choices = getattr(form_field, "choices", None)
    if choices is not None and not isinstance(value, list):
        return str(dict(_flat(choices)).get(value, value) or "—")
    return str(value) if value not in (None, "", []) else "—"


def _flat(choices: Iterable[Any]) -> Iterable[tuple[Any, Any]]:
    for key, text in choices:
        if isinstance(text, list | tuple):
            yield from text
        else:
            yield key, text
