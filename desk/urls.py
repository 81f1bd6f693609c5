from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from accounts.views import auth

# The admin signs in through our login page: one throttled door, with 2FA behind it.
admin.site.login = login_required(admin.site.login)

# A key that cannot do what its page is for is a 404 that says why (accounts.access).
handler404 = "accounts.views.errors.page_not_found"

urlpatterns = [
    path("", include("dashboard.urls")),
    path("connections/", include("accounts.urls")),
    path("connections/", include("trading.history.urls")),
    path("connections/", include("wallet.urls")),
    path("connections/", include("custody.urls")),
    path("connections/", include("creditline.urls")),
    path("connections/", include("convert.urls")),
    path("connections/", include("rewards.urls")),
    path("audit/", include("accounts.urls_audit")),
    path("market/", include("trading.urls")),
    path("transfers/", include("transfers.urls")),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", auth.signup, name="signup"),
    path("account/", auth.security, name="security"),
    path("account/confirm/", auth.reauth, name="reauth"),
    path("account/2fa/verify/", auth.twofactor_verify, name="twofactor-verify"),
    path("account/2fa/setup/", auth.twofactor_setup, name="twofactor-setup"),
    path("account/2fa/disable/", auth.twofactor_disable, name="twofactor-disable"),
    path("account/2fa/backup-codes/", auth.backup_codes_regenerate, name="backup-codes"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("account/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
]
