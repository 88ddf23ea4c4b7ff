from vigilants.routes import route

from . import views

urlpatterns = [
    route("auth/otp/request", views.OtpRequestView.as_view(), name="otp-request"),
    route("auth/otp/verify", views.OtpVerifyView.as_view(), name="otp-verify"),
    route("auth/logout", views.LogoutView.as_view(), name="logout"),
    route("auth/sessions", views.SessionList.as_view(), name="session-list"),
    route("auth/sessions/<int:pk>", views.SessionDetail.as_view(), name="session-detail"),
    route("me", views.MeView.as_view(), name="me"),
    route("me/export", views.MeExportView.as_view(), name="me-export"),
]
