from django.urls import path

from entitle.licensing import views

app_name = "licensing"

urlpatterns = [
    path("entitlements/", views.entitlement_list, name="entitlements"),
    path("licences/", views.licence_list, name="licences"),
    path("licences/new/", views.licence_create, name="create"),
    path("vouchers/renew/", views.renew_with_credits, name="renew_with_credits"),
    path("licences/<str:licence_id>/", views.licence_detail, name="detail"),
    path("licences/<str:licence_id>/activity/", views.licence_activity, name="activity"),
    path("licences/<str:licence_id>/increase/", views.licence_increase, name="increase"),
    path("licences/<str:licence_id>/renew/", views.licence_renew, name="renew"),
    path("devices/", views.device_list, name="devices"),
    path("devices/<uuid:device_id>/activity/", views.device_activity, name="device_activity"),
    path("devices/<uuid:device_id>/add-license/", views.device_assign, name="assign"),
    path(
        "devices/<uuid:device_id>/licences/<str:licence_id>/increase/",
        views.device_increase,
        name="device_increase",
    ),
    path(
        "devices/<uuid:device_id>/licences/<str:licence_id>/deactivate/",
        views.device_deactivate,
        name="deactivate",
    ),
    path(
        "devices/<uuid:device_id>/licences/<str:licence_id>/rehost/",
        views.licence_rehost,
        name="rehost",
    ),
    path("devices/air-gapped/", views.air_gapped, name="air_gapped"),
    path(
        "devices/<uuid:device_id>/licences/<str:licence_id>/file/",
        views.licence_file,
        name="file",
    ),
    path("consumption/", views.consumption_list, name="consumption"),
]
