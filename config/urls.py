from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import healthz

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("vouchers.urls")),  # first: the claim actions are the busiest requests
    path("", include("settlement.urls")),
    path("", include("accounts.urls")),
    path("", include("ledger.urls")),
    path("", include("audit.urls")),
    path("", include("reports.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("web.urls")),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
