"""The preferences form: one checkbox per kind of notification meant for the user's role."""

from __future__ import annotations

from django import forms

from .models import Kind


class PreferencesForm(forms.Form):
    """Built for one user: only the kinds their role receives are offered, and so accepted."""

    def __init__(self, *args, kinds: dict[str, bool], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Kind.choices)
        for kind, enabled in kinds.items():
            self.fields[kind] = forms.BooleanField(
                label=labels[kind], required=False, initial=enabled
            )

    def choices(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in self.fields}
