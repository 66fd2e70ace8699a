from django.urls import path

from entitle.renewals import views

app_name = "renewals"

urlpatterns = [
    path("renewals/", views.home, name="home"),
    path("renewals/sent/", views.requests_sent, name="sent"),
    path("renewals/received/", views.requests_received, name="received"),
    path("renewals/orders/", views.shop_orders, name="orders"),
    path("renewals/expiries/", views.sold_expiries, name="expiries"),
    path("licences/<str:activation_id>/renewal/", views.licence, name="licence"),
    path("licences/<str:activation_id>/renewal/order/", views.order_online, name="order"),
    path("licences/<str:activation_id>/renewal/request/", views.request_renewal, name="ask"),
    path("licences/<str:activation_id>/renewal/email/", views.email_partner, name="write"),
    path("partners/", views.partners, name="partners"),
    path("partners/listing/", views.listing, name="listing"),
    path("renewals/requests/<uuid:public_id>/", views.renewal_request, name="request"),
    path("renewals/join/<str:token>/", views.register, name="register"),
    path("renewals/register/", views.register_request, name="register_request"),
]
