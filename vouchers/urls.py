from django.urls import path

from vouchers import api

urlpatterns = [
    path("programmes/", api.ProgrammeListApi.as_view(), name="programme-list"),
    path("programmes/<str:code>/", api.ProgrammeDetailApi.as_view(), name="programme-detail"),
    path("programmes/<str:code>/fund/", api.ProgrammeFundApi.as_view(), name="programme-fund"),
    path("programmes/<str:code>/expire/", api.ProgrammeExpireApi.as_view(),
         name="programme-expire"),
    path("applications/", api.ApplicationListApi.as_view(), name="application-list"),
    path("applications/<str:id>/", api.ApplicationDetailApi.as_view(),
         name="application-detail"),
    path("applications/<str:id>/approve/", api.ApplicationApproveApi.as_view(),
         name="application-approve"),
    path("applications/<str:id>/reject/", api.ApplicationRejectApi.as_view(),
         name="application-reject"),
    path("vouchers/", api.VoucherListApi.as_view(), name="voucher-list"),
    path("vouchers/<str:code>/", api.VoucherDetailApi.as_view(), name="voucher-detail"),
    path("claims/", api.ClaimListApi.as_view(), name="claim-list"),
    path("claims/<str:id>/", api.ClaimDetailApi.as_view(), name="claim-detail"),
    path("claims/<str:id>/confirm/", api.ClaimConfirmApi.as_view(), name="claim-confirm"),
    path("claims/<str:id>/refuse/", api.ClaimRefuseApi.as_view(), name="claim-refuse"),
    path("claims/<str:id>/withdraw/", api.ClaimWithdrawApi.as_view(), name="claim-withdraw"),
    path("claims/<str:id>/approve/", api.ClaimApproveApi.as_view(), name="claim-approve"),
    path("claims/<str:id>/reject/", api.ClaimRejectApi.as_view(), name="claim-reject"),
    path("claims/<str:id>/unfreeze/", api.ClaimUnfreezeApi.as_view(), name="claim-unfreeze"),
    path("organizations/<str:id>/blacklist/", api.OrganizationBlacklistApi.as_view(),
         name="organization-blacklist"),
]
