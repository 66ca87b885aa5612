"""CompactSelect: the same select as Django's, rendered without a template per option, its
model choices read in one plain query."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from msp_portal.core.forms import CompactSelectsForm


class Pick(CompactSelectsForm):
    colour = forms.ChoiceField(
        choices=[("", "Any"), ("r", "Red <b>"), ("g", 'Green "x"')], required=False
    )
    many = forms.MultipleChoiceField(choices=[("a", "A")], required=False)


def test_the_chosen_option_is_selected_and_labels_are_escaped():
    html = str(Pick({"colour": "g"})["colour"])

    assert html.startswith('<select id="id_colour" name="colour">')
    assert '<option value="g" selected>Green &quot;x&quot;</option>' in html
    assert "Red &lt;b&gt;" in html and "<b>" not in html
    assert '<option value="" selected>' not in html


def test_an_unbound_form_selects_the_empty_choice_and_leaves_other_widgets_alone():
    form = Pick()

    assert '<option value="" selected>Any</option>' in str(form["colour"])
    assert "multiple" in str(form["many"])  # SelectMultiple is not a plain Select


def test_choices_set_after_construction_are_rendered():
    form = Pick()
    form.fields["colour"].choices = [("z", "Zed")]

    assert '<option value="z">Zed</option>' in str(form["colour"])


class PickClient(CompactSelectsForm):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="No client")

    def __init__(self, *args, clients, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients


@pytest.mark.django_db
def test_model_choices_are_read_in_one_plain_query_and_still_validate(acme, globex):
    form = PickClient(clients=Client.objects.filter(pk=acme.pk))

    with CaptureQueriesContext(connection) as ctx:
        html = str(form["client"])

    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["SELECT"]  # no cursor
    assert '<option value="" selected>No client</option>' in html
    assert f'<option value="{acme.pk}">{acme.name}</option>' in html
    assert globex.name not in html
    offered_acme = PickClient({"client": str(globex.pk)}, clients=Client.objects.filter(pk=acme.pk))
    assert not offered_acme.is_valid() and "client" in offered_acme.errors
    assert PickClient({"client": str(acme.pk)}, clients=Client.objects.all()).is_valid()
