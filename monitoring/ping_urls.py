from django.urls import path

from . import ping

app_name = "ping"

urlpatterns = [
    path("<str:token>", ping.ping, name="ping"),
    path("<str:token>/fail", ping.ping_fail, name="ping_fail"),
]
