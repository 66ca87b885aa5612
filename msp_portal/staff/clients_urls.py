from django.urls import path

from msp_portal.staff import clients as views

app_name = "clients"

urlpatterns = [
    path("clients/", views.client_list, name="list"),
    path("clients/new/", views.client_create, name="create"),
    path("clients/<slug:slug>/", views.client_detail, name="detail"),
    path("clients/<slug:slug>/edit/", views.client_edit, name="edit"),
    path("clients/<slug:slug>/sites/new/", views.site_create, name="site_create"),
    path("clients/<slug:slug>/contacts/new/", views.contact_create, name="contact_create"),
    path("clients/<slug:slug>/assets/new/", views.asset_create, name="asset_create"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset_edit"),
]
