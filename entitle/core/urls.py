from django.urls import path

from entitle.core import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("activity/", views.company_activity, name="activity"),
]
