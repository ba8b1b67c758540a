from django.urls import path

from reports import api

urlpatterns = [
    path("statements/payout-batch/<str:id>.pdf", api.PayoutBatchStatementApi.as_view(),
         name="statement-payout-batch"),
    path("statements/programme/<str:code>/monthly.pdf",
         api.ProgrammeMonthlyStatementApi.as_view(), name="statement-programme-monthly"),
    path("statements/programme/<str:code>/budget-execution.pdf",
         api.BudgetExecutionStatementApi.as_view(), name="statement-budget-execution"),
    path("statements/organization/<str:id>.pdf", api.OrganizationStatementApi.as_view(),
         name="statement-organization"),
    path("statements/verify/<str:code>/", api.VerifyApi.as_view(), name="statement-verify"),
    path("statements/jobs/<uuid:id>/", api.StatementJobApi.as_view(), name="statement-job"),
    path("statements/jobs/<uuid:id>/pdf/", api.StatementJobPdfApi.as_view(),
         name="statement-job-pdf"),
]
