from django.urls import path

from entitle.dashboard import views

# Mounted in the portal's namespace by config/urls.py: Home is `portal:home`.
urlpatterns = [
    path("", views.home, name="home"),
]
