from django.urls import path

from . import views

app_name = "reports"

# Included at the site root: full paths, next to the portal's and the staff client pages'.
urlpatterns = [
    path("portal/report/", views.portal_report, name="portal_report"),
    path("portal/report/pdf/", views.portal_report_pdf, name="portal_report_pdf"),
    path("portal/report/csv/", views.portal_report_csv, name="portal_report_csv"),
    path("portal/export/", views.portal_export, name="portal_export"),
    path(
        "portal/export/<int:pk>/download/",
        views.portal_export_download,
        name="portal_export_download",
    ),
    path("clients/<slug:slug>/report/", views.client_report, name="client_report"),
    path("clients/<slug:slug>/report/pdf/", views.client_report_pdf, name="client_report_pdf"),
    path("clients/<slug:slug>/report/csv/", views.client_report_csv, name="client_report_csv"),
    path("clients/<slug:slug>/export/", views.client_export, name="client_export"),
    path(
        "clients/<slug:slug>/export/<int:pk>/download/",
        views.client_export_download,
        name="client_export_download",
    ),
]
