from django.urls import path

from . import queue_views, views

app_name = "tickets"

urlpatterns = [
    path("tickets/", queue_views.ticket_list, name="list"),
    path("tickets/<int:number>/", views.ticket_detail, name="detail"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="reply"),
    path("tickets/<int:number>/status/", views.ticket_status, name="status"),
    path("tickets/<int:number>/assign/", views.ticket_assign, name="assign"),
    path("tickets/<int:number>/log-time/", views.ticket_log_time, name="log_time"),
    path("tickets/attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
