from django.urls import path

from . import queue_views, views

app_name = "tickets"

urlpatterns = [
    path("tickets/", queue_views.ticket_list, name="list"),
    path("tickets/client-options/", queue_views.client_options, name="client_options"),
    path("tickets/bulk/", queue_views.bulk_action, name="bulk"),
    path("tickets/views/", queue_views.saved_view_create, name="view_create"),
    path("tickets/views/<int:pk>/delete/", queue_views.saved_view_delete, name="view_delete"),
    path("tickets/<int:number>/", views.ticket_detail, name="detail"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:number>/status/", views.ticket_status, name="status"),
    path("tickets/<int:number>/assign/", views.ticket_assign, name="assign"),
    path("tickets/<int:number>/log-time/", views.ticket_log_time, name="log_time"),
    path("tickets/attachments/<int:pk>/", views.attachment_download, name="attachment"),
    # The staff ticket page's other actions and canned responses.
    path("tickets/<int:number>/priority/", views.ticket_priority, name="priority"),
    path("tickets/<int:number>/fields/", views.ticket_fields, name="fields"),
    path("tickets/<int:number>/asset/", views.ticket_asset, name="asset"),
    path("tickets/<int:number>/canned/<int:pk>/", views.canned_insert, name="canned_insert"),
    path("tickets/canned-responses/", views.canned_list, name="canned_list"),
    path("tickets/canned-responses/<int:pk>/edit/", views.canned_edit, name="canned_edit"),
    path("tickets/canned-responses/<int:pk>/delete/", views.canned_delete, name="canned_delete"),
]
