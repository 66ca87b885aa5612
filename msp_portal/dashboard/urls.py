from django.urls import path

from . import manager_views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", manager_views.manager, name="manager"),
    path("dashboard/csv/<slug:chart>/", manager_views.manager_csv, name="csv"),
]
