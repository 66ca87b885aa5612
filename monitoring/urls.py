from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.check_list, name="check_list"),
    path("monitoring/checks/new/", views.check_create, name="check_create"),
    path("monitoring/checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("monitoring/checks/<int:pk>/edit/", views.check_edit, name="check_edit"),
    path("monitoring/checks/<int:pk>/pause/", views.check_pause, name="check_pause"),
    path("monitoring/checks/<int:pk>/resume/", views.check_resume, name="check_resume"),
    path("monitoring/checks/<int:pk>/delete/", views.check_delete, name="check_delete"),
    path(
        "monitoring/clients/<slug:slug>/maintenance/",
        views.maintenance_list,
        name="maintenance_list",
    ),
    path(
        "monitoring/clients/<slug:slug>/maintenance/new/",
        views.maintenance_create,
        name="maintenance_create",
    ),
    path("monitoring/maintenance/<int:pk>/edit/", views.maintenance_edit, name="maintenance_edit"),
    path(
        "monitoring/maintenance/<int:pk>/delete/",
        views.maintenance_delete,
        name="maintenance_delete",
    ),
]
