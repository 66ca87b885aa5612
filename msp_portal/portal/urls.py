"""The client portal: what a client's people see of their own company, and nothing else."""

from django.urls import path

from . import tickets_views, users_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/new/", tickets_views.ticket_new, name="ticket_new"),
    path("tickets/new/priority/", tickets_views.priority_explain, name="priority_explain"),
    path("tickets/<int:number>/", tickets_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:number>/reply/", tickets_views.ticket_reply, name="reply"),
    path("tickets/<int:number>/confirm/", tickets_views.ticket_confirm, name="ticket_confirm"),
    path("tickets/<int:number>/reopen/", tickets_views.ticket_reopen, name="ticket_reopen"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/<int:pk>/", views.asset_detail, name="asset_detail"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("users/", users_views.user_list, name="user_list"),
    path("users/invite/", users_views.user_invite, name="user_invite"),
    path("users/<int:pk>/resend/", users_views.user_resend, name="user_resend"),
    path("users/<int:pk>/deactivate/", users_views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", users_views.user_reactivate, name="user_reactivate"),
    path("users/<int:pk>/role/", users_views.user_role, name="user_role"),
]
