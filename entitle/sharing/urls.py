from django.urls import path

from entitle.sharing import views

app_name = "sharing"

urlpatterns = [
    path("sharing/", views.overview, name="overview"),
    path("sharing/transfers/", views.transfers, name="transfers"),
    path("sharing/<uuid:public_id>/revoke/", views.delegation_revoke, name="revoke"),
    *[
        path(
            f"sharing/transfers/<uuid:public_id>/{decision}/",
            views.transfer_decide,
            {"decision": decision},
            name=decision,
        )
        for decision in ("accept", "decline", "cancel")
    ],
    path("licences/<str:activation_id>/share/", views.licence_share, name="share"),
    path("licences/<str:activation_id>/transfer/", views.licence_transfer, name="transfer"),
    path("shared/<str:token>/", views.register, name="register"),
]
