from django.urls import include, path

from vouchers import api

# Grouped by resource: a request is matched against one group's patterns, not all of them
# (Django tries URL patterns in order; the claim actions are the busiest requests).
programmes = [
    path("", api.ProgrammeListApi.as_view(), name="programme-list"),
    path("<str:code>/", api.ProgrammeDetailApi.as_view(), name="programme-detail"),
    path("<str:code>/fund/", api.ProgrammeFundApi.as_view(), name="programme-fund"),
    path("<str:code>/expire/", api.ProgrammeExpireApi.as_view(), name="programme-expire"),
]
applications = [
    path("", api.ApplicationListApi.as_view(), name="application-list"),
    path("<str:id>/", api.ApplicationDetailApi.as_view(), name="application-detail"),
    path("<str:id>/approve/", api.ApplicationApproveApi.as_view(),
         name="application-approve"),
    path("<str:id>/reject/", api.ApplicationRejectApi.as_view(), name="application-reject"),
]
vouchers = [
    path("", api.VoucherListApi.as_view(), name="voucher-list"),
    path("<str:code>/", api.VoucherDetailApi.as_view(), name="voucher-detail"),
]
claims = [
    path("", api.ClaimListApi.as_view(), name="claim-list"),
    path("<str:id>/confirm/", api.ClaimConfirmApi.as_view(), name="claim-confirm"),
    path("<str:id>/approve/", api.ClaimApproveApi.as_view(), name="claim-approve"),
    path("<str:id>/", api.ClaimDetailApi.as_view(), name="claim-detail"),
    path("<str:id>/refuse/", api.ClaimRefuseApi.as_view(), name="claim-refuse"),
    path("<str:id>/withdraw/", api.ClaimWithdrawApi.as_view(), name="claim-withdraw"),
    path("<str:id>/reject/", api.ClaimRejectApi.as_view(), name="claim-reject"),
    path("<str:id>/unfreeze/", api.ClaimUnfreezeApi.as_view(), name="claim-unfreeze"),
]

urlpatterns = [
    path("claims/", include(claims)),
    path("vouchers/", include(vouchers)),
    path("applications/", include(applications)),
    path("programmes/", include(programmes)),
    path("organizations/<str:id>/blacklist/", api.OrganizationBlacklistApi.as_view(),
         name="organization-blacklist"),
]
