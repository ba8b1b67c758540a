from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import SignInForm
from web.views import (
    auditor,
    enterprise,
    home,
    programmes,
    provider,
    reviewer,
    settlement,
    statements,
)

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=SignInForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # enterprise
    path("enterprise/vouchers/", enterprise.vouchers, name="enterprise-vouchers"),
    path("enterprise/applications/", enterprise.applications,
         name="enterprise-applications"),
    path("enterprise/applications/new/", enterprise.apply, name="enterprise-apply"),
    path("enterprise/claims/", enterprise.claims, name="enterprise-claims"),
    path("enterprise/claims/<uuid:id>/confirm/", enterprise.claim_confirm,
         name="enterprise-claim-confirm"),
    path("enterprise/claims/<uuid:id>/refuse/", enterprise.claim_refuse,
         name="enterprise-claim-refuse"),
    # provider
    path("provider/claims/", provider.claims, name="provider-claims"),
    path("provider/claims/new/", provider.claim_new, name="provider-claim-new"),
    path("provider/claims/<uuid:id>/withdraw/", provider.claim_withdraw,
         name="provider-claim-withdraw"),
    # reviewer
    path("reviewer/organizations/", reviewer.organizations, name="reviewer-organizations"),
    path("reviewer/organizations/<uuid:id>/<slug:action>/", reviewer.organization_action,
         name="reviewer-organization-action"),
    path("reviewer/applications/", reviewer.applications, name="reviewer-applications"),
    path("reviewer/applications/<uuid:id>/approve/", reviewer.application_approve,
         name="reviewer-application-approve"),
    path("reviewer/applications/<uuid:id>/reject/", reviewer.application_reject,
         name="reviewer-application-reject"),
    path("reviewer/claims/", reviewer.claims, name="reviewer-claims"),
    path("reviewer/claims/<uuid:id>/approve/", reviewer.claim_approve,
         name="reviewer-claim-approve"),
    path("reviewer/claims/<uuid:id>/reject/", reviewer.claim_reject,
         name="reviewer-claim-reject"),
    path("reviewer/claims/<uuid:id>/clawback/", reviewer.claim_clawback,
         name="reviewer-claim-clawback"),
    # programmes and budget (reviewer, finance, auditor); funding (finance)
    path("programmes/", programmes.programmes, name="programmes"),
    path("programmes/<str:code>/fund/", programmes.programme_fund, name="programme-fund"),
    # settlement (finance acts, auditor reads)
    path("settlement/batches/", settlement.batches, name="settlement-batches"),
    path("settlement/batches/build/", settlement.batch_build, name="settlement-batch-build"),
    path("settlement/batches/<uuid:id>/", settlement.batch_detail, name="settlement-batch"),
    path("settlement/batches/<uuid:id>/payment-file/", settlement.batch_payment_file,
         name="settlement-batch-file"),
    path("settlement/batches/<uuid:id>/<slug:action>/", settlement.batch_action,
         name="settlement-batch-action"),
    path("settlement/statements/", settlement.statements, name="settlement-statements"),
    path("settlement/statements/upload/", settlement.statement_upload,
         name="settlement-statement-upload"),
    path("settlement/statements/<uuid:id>/", settlement.statement_detail,
         name="settlement-statement"),
    path("settlement/exceptions/", settlement.exceptions, name="settlement-exceptions"),
    path("settlement/exceptions/<uuid:id>/resolve/", settlement.exception_resolve,
         name="settlement-exception-resolve"),
    # auditor (and finance for the trial balance)
    path("audit/", auditor.audit, name="audit"),
    path("ledger/trial-balance/", auditor.trial_balance, name="trial-balance"),
    # statements (reports/): downloads per role, the auditor's code verification
    path("statements/", statements.statements, name="statements"),
    path("statements/mine/", statements.my_statement, name="my-statement"),
    path("statements/verify/", statements.verify, name="statement-verify-page"),
    path("statements/jobs/<uuid:id>/", statements.job, name="statement-job-page"),
]
