from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("monitoring/", views.check_list, name="check_list"),
    path("monitoring/checks/<int:pk>/", views.check_detail, name="check_detail"),
]
