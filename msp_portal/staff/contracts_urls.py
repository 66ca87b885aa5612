from django.urls import path

from msp_portal.staff import contracts as views

app_name = "contracts"

urlpatterns = [
    path("contracts/", views.contract_list, name="list"),
    path("contracts/<int:pk>/", views.contract_detail, name="detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="edit"),
    path("clients/<slug:slug>/contracts/new/", views.contract_create, name="create"),
    path("sla/", views.sla_overview, name="sla_overview"),
    path("sla/policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("sla/calendars/<int:pk>/", views.calendar_detail, name="calendar_detail"),
]
