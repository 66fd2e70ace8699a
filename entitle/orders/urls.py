from django.urls import path

from entitle.orders import views

app_name = "orders"

urlpatterns = [
    path("orders/", views.po_list, name="list"),
    path("orders/new/", views.po_create, name="create"),
    path("orders/<uuid:public_id>/", views.po_detail, name="detail"),
    path("orders/<uuid:public_id>/fulfil/", views.po_fulfil, name="fulfil"),
    path("orders/<uuid:public_id>/activity/", views.po_activity, name="activity"),
]
