"""Portal forms: they read and check what a client's people type; the services decide.

Every choice of a row (asset, contact, category) is limited to what the user may see, so an id
from another company is an invalid choice with a message, never a lookup that could leak.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clients.models import Asset, Contact
from msp_portal.accounts.models import Role, User
from tickets.attachments import AttachmentsField
from tickets.models import Category, Impact, Urgency

#: Impact in the words of the person affected (values are tickets.models.Impact).
IMPACT_CHOICES = [
    (Impact.LOW, _("Just me")),
    (Impact.MEDIUM, _("My team, my site or an important service")),
    (Impact.HIGH, _("The whole company")),
]
#: Urgency in the same words (values are tickets.models.Urgency).
URGENCY_CHOICES = [
    (Urgency.LOW, _("It can wait")),
    (Urgency.MEDIUM, _("It slows me down")),
    (Urgency.HIGH, _("I cannot work")),
]
PORTAL_ROLE_CHOICES = [
    (Role.CLIENT_USER, _("User: sees and opens their own tickets")),
    (Role.CLIENT_ADMIN, _("Administrator: sees all the company's tickets, contracts and users")),
]


class TicketOpenForm(forms.Form):
    """A new ticket from the portal; the priority follows from impact and urgency."""

    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you see, since when, and what you already tried."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(client_visible=True).order_by("name"),
        required=False,
        empty_label=_("I don't know"),
        error_messages={"invalid_choice": _("Choose one of the categories offered.")},
    )
    impact = forms.TypedChoiceField(
        label=_("Who is affected?"),
        choices=IMPACT_CHOICES,
        coerce=int,
        initial=Impact.LOW,
        widget=forms.RadioSelect,
    )
    urgency = forms.TypedChoiceField(
        label=_("How does it affect your work?"),
        choices=URGENCY_CHOICES,
        coerce=int,
        initial=Urgency.MEDIUM,
        widget=forms.RadioSelect,
    )
    asset = forms.ModelChoiceField(
        label=_("Equipment or service concerned"),
        queryset=Asset.objects.none(),
        required=False,
        empty_label=_("None, or I don't know"),
        error_messages={"invalid_choice": _("Choose one of your company's assets.")},
    )
    cc_contacts = forms.ModelMultipleChoiceField(
        label=_("Keep these colleagues informed"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose colleagues from your own company.")},
    )
    attachments = AttachmentsField(
        help_text=_("Screenshots, error messages, documents (several files allowed).")
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = (
            Asset.objects.for_user(user).in_service().select_related("site").order_by("name", "pk")
        )
        self.fields["cc_contacts"].queryset = (
            Contact.objects.for_user(user)
            .filter(is_active=True)
            .exclude(user_id=user.pk)
            .order_by("last_name", "first_name", "pk")
        )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class InviteForm(forms.Form):
    """A colleague to invite to the portal: they receive a link to choose their password."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"), choices=PORTAL_ROLE_CHOICES, initial=Role.CLIENT_USER,
        widget=forms.RadioSelect,
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=settings.LANGUAGES)

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _(
                    "This address already has an account. If it is one of your colleagues "
                    "without access, reactivate them in the list; otherwise contact us."
                )
            )
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=PORTAL_ROLE_CHOICES)


class LocalisedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with each e-mail written in its recipient's language."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context.get("user")
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
