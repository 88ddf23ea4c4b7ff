"""The dashboards (HTML, session login), mounted at the site's root by vigilants/urls.py."""

from django.urls import path
from django.views.generic import RedirectView

from . import dashboard_auth, dashboard_views

app_name = "dashboard"

urlpatterns = [
    path("", RedirectView.as_view(url="/dashboard/")),
    path("dashboard", RedirectView.as_view(url="/dashboard/")),
    path("dashboard/", dashboard_views.index, name="index"),
    path("dashboard/brand.css", dashboard_views.brand_stylesheet, name="brand-css"),
    path("dashboard/login/", dashboard_auth.login_phone, name="login"),
    path("dashboard/login/code/", dashboard_auth.login_code, name="login-code"),
    path("dashboard/login/password/", dashboard_auth.login_password, name="login-password"),
    path("dashboard/login/totp/", dashboard_auth.login_totp, name="login-totp"),
    path("dashboard/logout/", dashboard_auth.logout_view, name="logout"),
    path("dashboard/communes/<str:insee>/", dashboard_views.commune_page, name="commune"),
    path("dashboard/communes/<str:insee>/bilan/<int:year>/", dashboard_views.commune_bilan, name="bilan"),
    path("dashboard/departements/<str:code>/", dashboard_views.departement_page, name="departement"),
]
