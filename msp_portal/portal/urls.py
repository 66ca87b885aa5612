from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/<int:number>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:number>/reply/", views.ticket_reply, name="reply"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("assets/", views.asset_list, name="asset_list"),
]
