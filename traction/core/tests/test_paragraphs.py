"""A <textarea>'s line breaks count once, as the browser counted them against maxlength."""

from __future__ import annotations

from django import forms

from traction.core.forms import Paragraphs


class Note(forms.Form):
    text = forms.CharField(max_length=10, widget=Paragraphs())


class PlainNote(forms.Form):
    text = forms.CharField(max_length=10, widget=forms.Textarea())


def test_line_breaks_sent_as_cr_lf_are_read_as_one_character() -> None:
    typed = "ab\r\ncd\r\nef\r\ng"  # ten characters in the browser, thirteen on the wire
    assert not PlainNote({"text": typed}).is_valid()  # what the widget is for
    form = Note({"text": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == "ab\ncd\nef\ng"
    assert Note({"text": "a\rb"}).is_valid()
    assert Note({"text": "a\rb"}).data["text"] == "a\rb"  # the data is left as sent


def test_the_textarea_keeps_its_attributes() -> None:
    html = str(Note()["text"])
    assert "<textarea" in html
    assert 'maxlength="10"' in html
