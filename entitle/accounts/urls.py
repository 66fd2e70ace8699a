from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from entitle.accounts import identity_views, views
from entitle.accounts.forms import QueuedPasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("login/", identity_views.SignInView.as_view(), name="login"),
    path("login/code/", identity_views.second_factor, name="second_factor"),
    path("login/sso/", identity_views.sso_start, name="sso_start"),
    path("login/sso/callback/", identity_views.sso_callback, name="sso_callback"),
    path("settings/security/", identity_views.security, name="security"),
    path("settings/security/enrol/", identity_views.security_enrol, name="security_enrol"),
    path("settings/security/disable/", identity_views.security_disable, name="security_disable"),
    path(
        "settings/security/recovery-codes/",
        identity_views.security_recovery_codes,
        name="security_recovery_codes",
    ),
    path("settings/security/require/", identity_views.security_require, name="security_require"),
    path("settings/sso/", identity_views.sso_settings, name="sso_settings"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            form_class=QueuedPasswordResetForm,
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("join/<str:token>/", views.join, name="join"),
    path("coworkers/", views.coworkers, name="coworkers"),
    path("coworkers/invite/", views.invite, name="invite"),
    path("coworkers/invitations/", views.invitation_list, name="invitation_list"),
    path(
        "coworkers/invitations/<uuid:public_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "coworkers/invitations/<uuid:public_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path(
        "settings/api-tokens/<int:token_id>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("settings/service-accounts/", views.service_accounts, name="service_accounts"),
    path(
        "settings/service-accounts/<int:account_id>/deactivate/",
        views.service_account_deactivate,
        name="service_account_deactivate",
    ),
]
