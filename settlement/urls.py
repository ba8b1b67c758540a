from django.urls import include, path

from settlement import api

batches = [
    path("", api.PayoutBatchListApi.as_view(), name="payout-batch-list"),
    path("<str:id>/", api.PayoutBatchDetailApi.as_view(), name="payout-batch-detail"),
    path("<str:id>/approve/", api.PayoutBatchApproveApi.as_view(), name="payout-batch-approve"),
    path("<str:id>/send/", api.PayoutBatchSendApi.as_view(), name="payout-batch-send"),
    path("<str:id>/cancel/", api.PayoutBatchCancelApi.as_view(), name="payout-batch-cancel"),
    path("<str:id>/payment-file/", api.PaymentFileApi.as_view(), name="payout-batch-file"),
]
statements = [
    path("", api.BankStatementListApi.as_view(), name="bank-statement-list"),
    path("<str:id>/", api.BankStatementDetailApi.as_view(), name="bank-statement-detail"),
]
exceptions = [
    path("", api.ExceptionListApi.as_view(), name="reconciliation-exception-list"),
    path("<str:id>/", api.ExceptionDetailApi.as_view(), name="reconciliation-exception-detail"),
    path("<str:id>/resolve/", api.ExceptionResolveApi.as_view(),
         name="reconciliation-exception-resolve"),
]

urlpatterns = [
    path("payout-batches/", include(batches)),
    path("bank-statements/", include(statements)),
    path("reconciliation/exceptions/", include(exceptions)),
    path("claims/<str:id>/clawback/", api.ClaimClawbackApi.as_view(), name="claim-clawback"),
]
