from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="auth-token"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("organizations/", api.OrganizationListApi.as_view(), name="organization-list"),
    path(
        "organizations/register/",
        api.OrganizationRegisterApi.as_view(),
        name="organization-register",
    ),
    path(
        "organizations/<str:id>/", api.OrganizationDetailApi.as_view(), name="organization-detail"
    ),
    path(
        "organizations/<str:id>/approve/",
        api.OrganizationApproveApi.as_view(),
        name="organization-approve",
    ),
    path(
        "organizations/<str:id>/suspend/",
        api.OrganizationSuspendApi.as_view(),
        name="organization-suspend",
    ),
]
