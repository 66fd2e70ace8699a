from django.urls import path

from entitle.core import views

# Part of the portal's namespace (`portal:`), together with Home (entitle/dashboard/urls.py):
# config/urls.py mounts both.
urlpatterns = [
    path("activity/", views.company_activity, name="activity"),
]
