from django.urls import path

from entitle.backoffice.views import catalog, orders, records

app_name = "backoffice"

urlpatterns = [
    path("", records.find, name="find"),
    path("orders/", orders.order_list, name="orders"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/companies/", orders.company_options, name="company_options"),
    path("orders/<uuid:public_id>/", orders.order_detail, name="order"),
    path("orders/<uuid:public_id>/fulfil/", orders.fulfil, name="fulfil"),
    path("orders/<uuid:public_id>/fulfil/confirmed/", orders.fulfil_confirmed, name="fulfil_do"),
    path("vouchers/", records.voucher_index, name="vouchers"),
    path("vouchers/<int:voucher_id>/", records.voucher, name="voucher"),
    path("vouchers/<int:voucher_id>/void/", records.voucher_void_confirmed, name="voucher_void"),
    path("licences/", records.licence_index, name="licences"),
    path("licences/<str:licence_id>/", records.licence, name="licence"),
    *[
        path(
            f"licences/<str:licence_id>/{change}/",
            records.licence_suspension,
            {"change": change},
            name=change,
        )
        for change in ("suspend", "reinstate")
    ],
    path("devices/", records.device_index, name="devices"),
    path("companies/", records.company_index, name="companies"),
    path("companies/<int:company_id>/", records.company, name="company"),
    path("companies/<int:company_id>/people/", records.company_people, name="company_people"),
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/products/new/", catalog.product_new, name="product_new"),
    path("catalog/products/<slug:code>/", catalog.product, name="product"),
    path("catalog/skus/new/", catalog.sku_new, name="sku_new"),
    path("catalog/skus/<str:code>/", catalog.sku, name="sku"),
    path("keys/", records.keys, name="keys"),
    path("keys/rotate/", records.keys_rotate, name="keys_rotate"),
]
