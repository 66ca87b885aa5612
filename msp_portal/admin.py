"""The Django admin: for MSP administrators only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("MSP portal administration")
admin.site.site_title = _("MSP portal")
admin.site.index_title = _("Administration")
