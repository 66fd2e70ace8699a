from django.urls import path

from entitle.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("settings/webhooks/", views.endpoints, name="endpoints"),
    path("settings/webhooks/<uuid:public_id>/", views.endpoint, name="endpoint"),
    path("settings/webhooks/<uuid:public_id>/enable/", views.endpoint_enable, name="enable"),
    path("settings/webhooks/<uuid:public_id>/disable/", views.endpoint_disable, name="disable"),
    path("settings/webhooks/<uuid:public_id>/test/", views.endpoint_test, name="test"),
    path(
        "settings/webhooks/<uuid:public_id>/rotate-secret/",
        views.endpoint_rotate_secret,
        name="rotate_secret",
    ),
    path(
        "settings/webhooks/<uuid:public_id>/deliveries/<uuid:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
