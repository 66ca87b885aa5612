"""CompactSelect: the same select as Django's, rendered without a template per option."""

from __future__ import annotations

from django import forms

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
