from django.urls import path

from entitle.orders import views

app_name = "orders"

urlpatterns = [
    path("orders/", views.po_list, name="list"),
    path("orders/<uuid:public_id>/", views.po_detail, name="detail"),
    path("orders/<uuid:public_id>/activity/", views.po_activity, name="activity"),
]
