from django.urls import path

from ledger import api

urlpatterns = [
    path("ledger/accounts/", api.AccountListApi.as_view(), name="ledger-account-list"),
    path("ledger/accounts/<str:id>/", api.AccountDetailApi.as_view(), name="ledger-account-detail"),
    path("ledger/trial-balance/", api.TrialBalanceApi.as_view(), name="ledger-trial-balance"),
]
