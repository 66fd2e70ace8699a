from django.urls import path

from entitle.locker import views

app_name = "locker"

urlpatterns = [
    path("vouchers/", views.vouchers, name="vouchers"),
    path("locker/", views.locker, name="locker"),
    path("orders/<uuid:public_id>/vouchers/", views.po_vouchers, name="po_vouchers"),
]
