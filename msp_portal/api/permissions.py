"""Who may call what: reads follow the querysets, writes are mostly for MSP staff."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request


class IsMspStaff(permissions.BasePermission):
    """MSP staff only (administrators, managers, technicians)."""

    message = _("Only MSP staff may do this.")

    def has_permission(self, request: Request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_msp_staff)


class StaffWritesOnly(permissions.BasePermission):
    """Anyone signed in reads (within their querysets); only MSP staff write."""

    message = _("Only MSP staff may change this; client users have read access.")

    def has_permission(self, request: Request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_msp_staff)
