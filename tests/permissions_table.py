"""Who may use which URL: the one expectation table of tests/retiree_mgmt/test_permissions_matrix.py.

Every URL the resolver knows (outside EXCLUDED) needs one line per HTTP method it answers, so a new URL
without a line fails that test with its name. The expectations come from the documented rules
(docs/adr/0002-access-scoping.md, registry/access.py's ROLE_ACTIONS and the feature pages in docs/), not from
what the code happens to answer: docs/permissions.md says how to read and extend it.

A line:  "METHOD url-name": (target, admin, clerk, reviewer, auditor, township, township_on_b[, anonymous])

- target: which object of the test county fills the URL's arguments (TARGETS in the test module); "-" for
  a URL without arguments.
- township: a township A officer on township A's object; township_on_b: the same officer on township B's
  object (None where the object belongs to no township).
- anonymous, when left out: a login redirect for pages, 401/403 for the API.
"""

from __future__ import annotations

from typing import Final

OK: Final = "ok"  # past the permission check: 2xx, a redirect that is not to the login page, or 400
DENIED: Final = "403"
NOT_FOUND: Final = "404"  # out of scope, answered exactly as a record that does not exist
# A role without the action on another township's object: 403 and 404 both say nothing about the object
# (ADR 0002 asks only that existence is not given away).
HIDDEN: Final = "403|404"
LOGIN: Final = "login"  # a page for signed-in users: redirect to the login page with ?next=
ANON: Final = "401|403"  # the API without a session or token
NA: Final = None  # no township B variant of this object

A, D, N, H = OK, DENIED, NOT_FOUND, HIDDEN

ROLES: Final = ("admin", "clerk", "reviewer", "auditor", "township", "township_on_b", "anonymous")

# URL prefixes left out, each for a stated reason.
EXCLUDED: Final = {
    "admin/": "the Django admin site has its own staff/superuser gate (test_only_the_bureau_admin_enters_"
    "the_admin_site checks it); registry tables are read-only there (ADR 0002)",
    "i18n/": "Django's set_language: switches the language of anyone, signed in or not; reads no data",
}

# fmt: off
TABLE: dict[str, tuple[object, ...]] = {
    # registry: sign-in, home, list, export ------------------------------------------------ registry.access
    "GET home":                                  ("-",          A, A, A, A, A, NA),
    "GET login":                                 ("-",          A, A, A, A, A, NA, OK),
    "POST login":                                ("-",          A, A, A, A, A, NA, OK),
    "POST logout":                               ("-",          A, A, A, A, A, NA, OK),
    "GET retiree-list":                          ("-",          A, A, A, A, A, NA),
    "GET retiree-export":                        ("-",          A, A, A, A, A, NA),
    # 我的导出 (docs/exports.md): everyone's own list; a file and its restart only for the person who asked
    # (the clerk here), everyone else answered as for an export that does not exist
    "GET export-job-list":                       ("-",          A, A, A, A, A, NA),
    "GET export-job-file":                       ("export_job", N, A, N, N, N, NA),
    "POST export-job-restart":                   ("export_job", N, A, N, N, N, NA),
    # intake: EDIT_REGISTRY (docs/intake.md)
    "GET retiree-intake":                        ("-",          A, A, D, D, D, NA),
    "POST retiree-intake":                       ("-",          A, A, D, D, D, NA),
    "GET retiree-intake-id-check":               ("-",          A, A, D, D, D, NA),
    "GET retiree-intake-communities":            ("-",          A, A, D, D, D, NA),
    "GET retiree-intake-employers":              ("-",          A, A, D, D, D, NA),
    # the certificate (打印待遇证): scoped, EDIT_REGISTRY; every printing recorded (docs/intake.md)
    "GET retiree-certificate":                   ("retiree",    A, A, D, D, D, H),
    "GET api-retiree-certificate":               ("retiree",    A, A, D, D, D, H),
    # the record page: VIEW_REGISTRY in scope, 404 outside (docs/record-page.md)
    "GET retiree-photo":                         ("retiree",    A, A, A, A, A, N),
    "GET retiree-detail":                        ("retiree",    A, A, A, A, A, N),
    # a full number: 404 out of scope before the role is asked, then VIEW_SENSITIVE (docs/record-page.md)
    "POST retiree-reveal":                       ("reveal",     A, A, A, A, D, N),
    # the audit trail: VIEW_AUDIT or VIEW_SENSITIVE (docs/record-page.md)
    "GET retiree-audit":                         ("retiree",    A, A, A, A, D, H),
    # life events from the record page: EDIT_REGISTRY in scope (docs/deaths.md "The life-event door")
    "GET retiree-terminate":                     ("retiree",    A, A, D, D, D, H),
    "POST retiree-terminate":                    ("retiree",    A, A, D, D, D, H),
    "GET retiree-transfer-out":                  ("retiree",    A, A, D, D, D, H),
    "POST retiree-transfer-out":                 ("retiree",    A, A, D, D, D, H),
    # county flags (人员标记, docs/flags.md): the kinds read with VIEW_REGISTRY and kept by MANAGE_SETTINGS;
    # a person's flags read in scope, set and removed with EDIT_REGISTRY in scope; the import EDIT_REGISTRY
    "GET flag-kind-list":                        ("-",          A, A, A, A, A, NA),
    "POST flag-kind-list":                       ("-",          A, D, D, D, D, NA),
    "GET flag-kind-edit":                        ("flag_kind",  A, D, D, D, D, NA),
    "POST flag-kind-edit":                       ("flag_kind",  A, D, D, D, D, NA),
    "GET flag-import":                           ("-",          A, A, D, D, D, NA),
    "POST flag-import":                          ("-",          A, A, D, D, D, NA),
    "POST flag-import-confirm":                  ("-",          A, A, D, D, D, NA),
    "GET flag-import-template":                  ("-",          A, A, D, D, D, NA),
    "GET retiree-flags":                         ("retiree",    A, A, A, A, A, N),
    "POST retiree-flag-add":                     ("retiree",    A, A, D, D, D, H),
    "POST retiree-flag-remove":                  ("flag",       A, A, D, D, D, H),
    # change requests: a clerk asks, someone else with APPROVE_CHANGES decides; township staff have none
    # (403 on the pages); a clerk sees the requests they made (docs/change-requests.md)
    "GET change-request-create":                 ("retiree",    A, A, D, D, D, H),
    "POST change-request-create":                ("retiree",    A, A, D, D, D, H),
    "GET change-request-list":                   ("-",          A, A, A, A, D, NA),
    "GET change-request-detail":                 ("change",     A, A, A, A, D, H),
    "POST change-request-detail":                ("change",     A, D, A, D, D, H),
    "GET change-request-document":               ("change",     A, A, A, A, D, H),
    # the registry import: EDIT_REGISTRY (docs/import.md)
    "GET import-list":                           ("-",          A, A, D, D, D, NA),
    "POST import-list":                          ("-",          A, A, D, D, D, NA),
    "GET import-template":                       ("-",          A, A, D, D, D, NA),
    "GET import-detail":                         ("import",     A, A, D, D, D, NA),
    "POST import-confirm":                       ("import",     A, A, D, D, D, NA),
    "GET import-rejected":                       ("import",     A, A, D, D, D, NA),
    # a job that died starts again (docs/jobs.md): the roles that import
    "POST import-restart":                       ("import",     A, A, D, D, D, NA),

    # payouts: pages for PREPARE_PAYMENTS, APPROVE_PAYMENTS or VIEW_AUDIT; each move for its action
    # (docs/payouts.md "Moves", "Funding, bank files and return files", "Recoveries")
    "GET payout-plan-list":                      ("-",          A, A, A, A, D, NA),
    "POST payout-plan-list":                     ("-",          A, A, D, D, D, NA),
    "GET payout-plan-detail":                    ("plan",       A, A, A, A, D, NA),
    "GET payout-plan-export":                    ("plan",       A, A, A, A, D, NA),
    "POST payout-plan-regenerate":               ("draft",      A, A, D, D, D, NA),
    "POST payout-plan-submit":                   ("draft",      A, A, D, D, D, NA),
    "POST payout-plan-approve":                  ("submitted",  A, D, A, D, D, NA),
    "POST payout-plan-reject":                   ("submitted",  A, D, A, D, D, NA),
    "POST payout-funding-record":                ("plan",       A, D, A, D, D, NA),
    "GET payout-funding-request":                ("plan",       A, A, A, A, D, NA),
    "POST payout-bank-files-export":             ("plan",       A, A, D, D, D, NA),
    # drafting and bank-file jobs (docs/jobs.md): read by the plan viewers, run again by PREPARE_PAYMENTS
    "GET payout-plan-job":                       ("plan_job",   A, A, A, A, D, NA),
    "POST payout-plan-job-restart":              ("plan_job",   A, A, D, D, D, NA),
    # a bank file carries full numbers: PREPARE or APPROVE_PAYMENTS, not the auditor
    "GET payout-bank-file-download":             ("bank_file",  A, A, A, D, D, NA),
    "POST payout-return-file-import":            ("bank_file",  A, A, D, D, D, NA),
    "POST payout-line-reissue":                  ("line",       A, A, D, D, D, NA),
    "POST payout-line-paid-by-hand":             ("line",       A, A, D, D, D, NA),
    # the annual adjustment's runs (docs/annual-adjustment.md): whoever works with payments or audits reads
    # (may_view_adjustments); the clerk starts, submits, discards and applies; someone else approves
    "GET adjustment-year":                       ("year",       A, A, A, A, D, NA),
    "POST adjustment-run-start":                 ("year",       A, A, D, D, D, NA),
    "GET adjustment-run-detail":                 ("adjustment_run", A, A, A, A, D, NA),
    "GET adjustment-run-progress":               ("adjustment_run", A, A, A, A, D, NA),
    "GET adjustment-run-lines":                  ("adjustment_run", A, A, A, A, D, NA),
    "GET adjustment-run-export":                 ("adjustment_run", A, A, A, A, D, NA),
    "POST adjustment-run-submit":                ("adjustment_run", A, A, D, D, D, NA),
    "POST adjustment-run-approve":               ("adjustment_run", A, D, A, D, D, NA),
    "POST adjustment-run-reject":                ("adjustment_run", A, D, A, D, D, NA),
    "POST adjustment-run-discard":               ("adjustment_run", A, A, D, D, D, NA),
    "POST adjustment-run-apply":                 ("adjustment_run", A, A, D, D, D, NA),
    "POST adjustment-run-restart":               ("adjustment_run", A, A, D, D, D, NA),
    "GET api-adjustment-run-list":               ("-",          A, A, A, A, D, NA),
    "POST api-adjustment-run-list":              ("-",          A, A, D, D, D, NA),
    "GET api-adjustment-run-detail":             ("adjustment_run", A, A, A, A, D, NA),
    "GET api-adjustment-run-lines":              ("adjustment_run", A, A, A, A, D, NA),
    "POST api-adjustment-run-submit":            ("adjustment_run", A, A, D, D, D, NA),
    "POST api-adjustment-run-approve":           ("adjustment_run", A, D, A, D, D, NA),
    "POST api-adjustment-run-reject":            ("adjustment_run", A, D, A, D, D, NA),
    "POST api-adjustment-run-discard":           ("adjustment_run", A, A, D, D, D, NA),
    "POST api-adjustment-run-apply":             ("adjustment_run", A, A, D, D, D, NA),
    # one-off payment batches (docs/one-off-payments.md): the payout pages' roles; submit, export, return
    # files and re-issue PREPARE_PAYMENTS; approve, reject and funding APPROVE_PAYMENTS, never the submitter
    "GET one-off-batch-list":                    ("-",          A, A, A, A, D, NA),
    "GET one-off-batch-detail":                  ("one_off",    A, A, A, A, D, NA),
    "POST one-off-batch-submit":                 ("one_off",    A, A, D, D, D, NA),
    "POST one-off-batch-approve":                ("one_off_submitted", A, D, A, D, D, NA),
    "POST one-off-batch-reject":                 ("one_off_submitted", A, D, A, D, D, NA),
    "POST one-off-funding-record":               ("one_off",    A, D, A, D, D, NA),
    "GET one-off-funding-request":               ("one_off",    A, A, A, A, D, NA),
    "POST one-off-bank-files-export":            ("one_off",    A, A, D, D, D, NA),
    "GET one-off-bank-file-download":            ("one_off_file", A, A, A, D, D, NA),
    "POST one-off-return-file-import":           ("one_off_file", A, A, D, D, D, NA),
    "POST one-off-payment-reissue":              ("one_off_payment", A, A, D, D, D, NA),
    # the annual adjustment's notices and summary: may_view_adjustments; queuing notices PREPARE_PAYMENTS
    "GET adjustment-notices":                    ("adj_run",    A, A, A, A, D, NA),
    "POST adjustment-notices-start":             ("adj_run",    A, A, D, D, D, NA),
    "GET adjustment-notice-download":            ("adj_notice", A, A, A, A, D, NA),
    "GET adjustment-summary-pdf":                ("adj_run",    A, A, A, A, D, NA),
    "GET adjustment-summary-xlsx":               ("adj_run",    A, A, A, A, D, NA),
    # the province's result file for an adjustment dry run (docs/adjustment-province-file.md): the adjustment
    # viewers (may_view_adjustments) read; PREPARE_PAYMENTS uploads and reruns
    "GET adjustment-comparisons":                ("adjustment_run", A, A, A, A, D, NA),
    "POST adjustment-comparisons":               ("adjustment_run", A, A, D, D, D, NA),
    "GET adjustment-comparison-detail":          ("adjustment_comparison", A, A, A, A, D, NA),
    "GET adjustment-comparison-export":          ("adjustment_comparison", A, A, A, A, D, NA),
    "POST adjustment-comparison-restart":        ("adjustment_comparison", A, A, D, D, D, NA),
    "GET payout-recovery-list":                  ("-",          A, A, A, A, D, NA),
    "GET payout-recovery-detail":                ("recovery",   A, A, A, A, D, H),
    "POST payout-recovery-refund":               ("recovery",   A, A, D, D, D, H),
    # write-offs: a clerk asks (PREPARE_PAYMENTS), a reviewer decides (APPROVE_PAYMENTS), never the requester
    # nor the recovery's creator (docs/approvals.md)
    "POST payout-recovery-write-off-request":    ("recovery",   A, A, D, D, D, H),
    "POST payout-write-off-approve":             ("write_off",  A, D, A, D, D, H),
    "POST payout-write-off-reject":              ("write_off",  A, D, A, D, D, H),
    # recovery follow-up (docs/recoveries.md): the aging list, receipts and letters for whoever sees
    # recoveries (full numbers only with a purpose); claw-backs and referrals by PREPARE_PAYMENTS
    "GET payout-recovery-aging":                 ("-",          A, A, A, A, D, NA),
    "GET payout-recovery-aging-export":          ("-",          A, A, A, A, D, NA),
    "GET payout-recovery-refund-receipt":        ("refund",     A, A, A, A, D, H),
    "POST payout-recovery-clawback":             ("recovery",   A, A, D, D, D, H),
    "POST payout-recovery-clawback-result":      ("clawback",   A, A, D, D, D, H),
    "GET payout-recovery-clawback-letter":       ("clawback",   A, A, A, A, D, H),
    "GET payout-recovery-clawback-list":         ("clawback",   A, A, A, A, D, H),
    "POST payout-recovery-referral":             ("recovery",   A, A, D, D, D, H),
    "POST payout-recovery-referral-update":      ("referral",   A, A, D, D, D, H),
    "GET payout-recovery-referral-letter":       ("referral",   A, A, A, A, D, H),
    # the enquiry statement: VIEW_REGISTRY in scope (docs/statements.md)
    "GET retiree-statement":                     ("retiree",    A, A, A, A, A, N),
    "GET retiree-statement-pdf":                 ("retiree",    A, A, A, A, A, N),

    # certification (docs/certification.md "Who may do what")
    "GET certification-entry":                   ("-",          A, A, D, D, A, NA),
    "GET certification-entry-lookup":            ("-",          A, A, D, D, A, NA),
    "POST certification-entry-certify":          ("-",          A, A, D, D, A, NA),
    # a unit outside the user's subtree is a 404 (docs/certification-progress.md)
    "GET certification-progress":                ("unit",       A, A, A, A, A, N),
    "GET certification-missing":                 ("unit",       A, A, A, A, A, N),
    "GET certification-missing-pdf":             ("unit",       A, A, A, A, A, N),
    "GET certification-missing-xlsx":            ("unit",       A, A, A, A, A, N),
    # remote residents: EDIT_REGISTRY + VIEW_SENSITIVE (docs/remote-residents.md)
    "GET certification-remote-list":             ("-",          A, A, D, D, D, NA),
    "POST certification-remote-create":          ("-",          A, A, D, D, D, NA),
    "GET certification-remote-detail":           ("batch",      A, A, D, D, D, NA),
    "GET certification-remote-status":           ("batch",      A, A, D, D, D, NA),
    "POST certification-remote-retry":           ("batch",      A, A, D, D, D, NA),
    "GET certification-remote-forms":            ("batch",      A, A, D, D, D, NA),
    "GET certification-remote-upload":           ("upload",     A, A, D, D, D, NA),
    "GET certification-remote-return":           ("member",     A, A, D, D, D, H),
    "POST certification-remote-return":          ("member",     A, A, D, D, D, H),
    # imports: EDIT_REGISTRY + CERTIFY; the deaths review list: EDIT_REGISTRY (docs/certification-imports.md)
    "GET certification-import-list":             ("-",          A, A, D, D, D, NA),
    "POST certification-import-list":            ("-",          A, A, D, D, D, NA),
    "GET certification-import-detail":           ("cert_import", A, A, D, D, D, NA),
    "POST certification-import-confirm":         ("cert_import", A, A, D, D, D, NA),
    "POST certification-import-restart":         ("cert_import", A, A, D, D, D, NA),
    "POST certification-import-cancel":          ("cert_import", A, A, D, D, D, NA),
    "GET certification-import-template":         ("kind",       A, A, D, D, D, NA),
    "GET certification-death-matches":           ("-",          A, A, D, D, D, NA),
    "POST certification-death-match-decide":     ("death",      A, A, D, D, D, H),
    # death registrations (docs/deaths.md "Pages"): the list and pages for who records (EDIT_REGISTRY),
    # confirms (APPROVE_CHANGES) or audits; a township officer reports (CERTIFY) and follows their reports
    "GET death-list":                            ("-",          A, A, A, A, D, NA),
    "GET death-record":                          ("retiree",    A, A, D, D, D, H),
    "POST death-record":                         ("retiree",    A, A, D, D, D, H),
    "GET death-record-match":                    ("death",      A, A, D, D, D, H),
    "POST death-record-match":                   ("death",      A, A, D, D, D, H),
    "GET death-record-report":                   ("registration", A, A, D, D, D, H),
    "POST death-record-report":                  ("registration", A, A, D, D, D, H),
    "GET death-detail":                          ("registration", A, A, A, A, D, H),
    "POST death-confirm":                        ("registration", A, D, A, D, D, H),
    "POST death-reject":                         ("registration", A, D, A, D, D, H),
    "POST death-correct":                        ("registration", A, D, A, D, D, H),
    "GET death-document":                        ("death_document", A, A, A, A, D, H),
    "GET death-report":                          ("retiree",    A, A, D, D, A, N),
    "POST death-report":                         ("retiree",    A, A, D, D, A, N),
    "GET death-my-reports":                      ("-",          A, A, D, D, A, NA),
    "GET death-retiree-tab":                     ("retiree",    A, A, A, A, D, H),
    # campaigns: read with VIEW_REGISTRY, write with MANAGE_SETTINGS (admin)
    "GET certification-campaign-list":           ("-",          A, A, A, A, A, NA),
    "POST certification-campaign-create":        ("-",          A, D, D, D, D, NA),
    "GET certification-campaign-edit":           ("year",       A, D, D, D, D, NA),
    "POST certification-campaign-edit":          ("year",       A, D, D, D, D, NA),
    "GET certification-suspension":              ("year",       A, A, A, A, A, NA),
    "GET certification-suspension-notices":      ("year",       A, A, A, A, A, NA),
    "POST certification-suspension-notices-render": ("year",    A, D, D, D, D, NA),
    # one township's notices: another township's file is a 404 (docs/certification.md)
    "GET certification-suspension-notice-pdf":   ("notice",     A, A, A, A, A, N),

    # API: the same rules (docs/api.md); a role that may not use an endpoint gets 403 before the body is read
    "POST api-token":                            ("-",          A, A, A, A, A, NA, OK),
    "GET api-me":                                ("-",          A, A, A, A, A, NA),
    "GET api-retiree-list":                      ("-",          A, A, A, A, A, NA),
    "POST api-retiree-intake":                   ("-",          A, A, D, D, D, NA),
    "POST api-retiree-export":                   ("-",          A, A, A, A, A, NA),
    "GET api-retiree-detail":                    ("retiree",    A, A, A, A, A, N),
    "POST api-retiree-reveal":                   ("retiree",    A, A, A, A, D, N),
    "GET api-org-unit-list":                     ("-",          A, A, A, A, A, NA),
    "GET api-bank-list":                         ("-",          A, A, A, A, A, NA),
    # township staff work with no change requests: 404 for a request in the API (docs/change-requests.md)
    "GET api-change-request-list":               ("-",          A, A, A, A, A, NA),
    "POST api-change-request-list":              ("-",          A, A, D, D, D, NA),
    "GET api-change-request-detail":             ("change",     A, A, A, A, N, N),
    "POST api-change-request-approve":           ("change",     A, D, A, D, N, N),
    "POST api-change-request-reject":            ("change",     A, D, A, D, N, N),
    # death registrations: a clerk records, someone else with APPROVE_CHANGES confirms, rejects or corrects;
    # the auditor reads; a township officer reports (CERTIFY) and sees only their reports (docs/deaths.md)
    "GET api-death-list":                        ("-",          A, A, A, A, D, NA),
    "POST api-death-list":                       ("-",          A, A, D, D, D, NA),
    "POST api-death-report":                     ("-",          A, A, D, D, A, NA),
    "GET api-death-detail":                      ("registration", A, A, A, A, D, H),
    "POST api-death-confirm":                    ("registration", A, D, A, D, D, H),
    "POST api-death-reject":                     ("registration", A, D, A, D, D, H),
    "POST api-death-correct":                    ("registration", A, D, A, D, D, H),
    "POST api-import-upload":                    ("-",          A, A, D, D, D, NA),
    "GET api-import-detail":                     ("import",     A, A, D, D, D, NA),
    "POST api-import-confirm":                   ("import",     A, A, D, D, D, NA),
    "POST api-import-restart":                   ("import",     A, A, D, D, D, NA),
    # background exports beside 我的导出: only the person who asked (the clerk)
    "GET api-export-job-list":                   ("-",          A, A, A, A, A, NA),
    "GET api-export-job-detail":                 ("export_job", N, A, N, N, N, NA),
    "GET api-export-job-file":                   ("export_job", N, A, N, N, N, NA),
    "POST api-export-job-restart":               ("export_job", N, A, N, N, N, NA),
    # county flags (人员标记, docs/flags.md)
    "GET api-flag-kind-list":                    ("-",          A, A, A, A, A, NA),
    "POST api-flag-kind-list":                   ("-",          A, D, D, D, D, NA),
    "PATCH api-flag-kind-detail":                ("flag_kind",  A, D, D, D, D, NA),
    "GET api-retiree-flags":                     ("retiree",    A, A, A, A, A, N),
    "POST api-retiree-flags":                    ("retiree",    A, A, D, D, D, H),
    "POST api-retiree-flag-remove":              ("flag",       A, A, D, D, D, H),
    "GET api-payout-plan-list":                  ("-",          A, A, A, A, D, NA),
    "POST api-payout-plan-list":                 ("-",          A, A, D, D, D, NA),
    "GET api-payout-plan-detail":                ("plan",       A, A, A, A, D, NA),
    "GET api-payout-plan-lines":                 ("plan",       A, A, A, A, D, NA),
    "POST api-payout-plan-submit":               ("draft",      A, A, D, D, D, NA),
    "POST api-payout-plan-approve":              ("submitted",  A, D, A, D, D, NA),
    "POST api-payout-plan-reject":               ("submitted",  A, D, A, D, D, NA),
    "GET api-payout-plan-job":                   ("plan_job",   A, A, A, A, D, NA),
    "POST api-payout-plan-job-restart":          ("plan_job",   A, A, D, D, D, NA),
    "GET api-payout-fundings":                   ("plan",       A, A, A, A, D, NA),
    "POST api-payout-fundings":                  ("plan",       A, D, A, D, D, NA),
    "GET api-payout-funding-request":            ("plan",       A, A, A, A, D, NA),
    "GET api-payout-bank-files":                 ("plan",       A, A, A, A, D, NA),
    "POST api-payout-bank-files":                ("plan",       A, A, D, D, D, NA),
    "GET api-payout-bank-file-download":         ("bank_file",  A, A, A, D, D, NA),
    "POST api-payout-return-file-import":        ("bank_file",  A, A, D, D, D, NA),
    "GET api-payout-failed-lines":               ("plan",       A, A, A, A, D, NA),
    "POST api-payout-line-reissue":              ("line",       A, A, D, D, D, NA),
    "POST api-payout-line-paid-by-hand":         ("line",       A, A, D, D, D, NA),
    "GET api-one-off-batch-list":                ("-",          A, A, A, A, D, NA),
    "GET api-one-off-batch-detail":              ("one_off",    A, A, A, A, D, NA),
    "POST api-one-off-batch-submit":             ("one_off",    A, A, D, D, D, NA),
    "POST api-one-off-batch-approve":            ("one_off_submitted", A, D, A, D, D, NA),
    "POST api-one-off-batch-reject":             ("one_off_submitted", A, D, A, D, D, NA),
    "GET api-one-off-fundings":                  ("one_off",    A, A, A, A, D, NA),
    "POST api-one-off-fundings":                 ("one_off",    A, D, A, D, D, NA),
    "GET api-one-off-bank-files":                ("one_off",    A, A, A, A, D, NA),
    "POST api-one-off-bank-files":               ("one_off",    A, A, D, D, D, NA),
    "POST api-one-off-payment-reissue":          ("one_off_payment", A, A, D, D, D, NA),
    "GET api-adjustment-notices":                ("adj_run",    A, A, A, A, D, NA),
    "POST api-adjustment-notices":               ("adj_run",    A, A, D, D, D, NA),
    "GET api-adjustment-notice-download":        ("adj_notice", A, A, A, A, D, NA),
    "GET api-adjustment-summary":                ("adj_run",    A, A, A, A, D, NA),
    "GET api-adjustment-comparisons":            ("adjustment_run", A, A, A, A, D, NA),
    "POST api-adjustment-comparisons":           ("adjustment_run", A, A, D, D, D, NA),
    "GET api-adjustment-comparison-detail":      ("adjustment_comparison", A, A, A, A, D, NA),
    "GET api-adjustment-comparison-differences": ("adjustment_comparison", A, A, A, A, D, NA),
    "POST api-adjustment-comparison-restart":    ("adjustment_comparison", A, A, D, D, D, NA),
    "GET api-recovery-list":                     ("-",          A, A, A, A, D, NA),
    "POST api-recovery-refunds":                 ("recovery",   A, A, D, D, D, H),
    "POST api-recovery-write-off-request":       ("recovery",   A, A, D, D, D, H),
    "POST api-write-off-request-approve":        ("write_off",  A, D, A, D, D, H),
    "POST api-write-off-request-reject":         ("write_off",  A, D, A, D, D, H),
    # recovery follow-up (docs/recoveries.md), as the pages
    "GET api-recovery-aging":                    ("-",          A, A, A, A, D, NA),
    "GET api-recovery-detail":                   ("recovery",   A, A, A, A, D, H),
    "GET api-recovery-refund-receipt":           ("refund",     A, A, A, A, D, H),
    "POST api-recovery-clawbacks":               ("recovery",   A, A, D, D, D, H),
    "POST api-recovery-clawback-result":         ("clawback",   A, A, D, D, D, H),
    "GET api-recovery-clawback-letter":          ("clawback",   A, A, A, A, D, H),
    "GET api-recovery-clawback-list":            ("clawback",   A, A, A, A, D, H),
    "POST api-recovery-referral":                ("recovery",   A, A, D, D, D, H),
    "POST api-recovery-referral-update":         ("referral",   A, A, D, D, D, H),
    "GET api-recovery-referral-letter":          ("referral",   A, A, A, A, D, H),
    "GET api-retiree-statement":                 ("retiree",    A, A, A, A, A, N),
    "GET api-certification-lookup":              ("-",          A, A, D, D, A, NA),
    "POST api-certification-certify":            ("-",          A, A, D, D, A, NA),
    "GET api-certification-progress":            ("unit",       A, A, A, A, A, N),
    "GET api-certification-missing":             ("unit",       A, A, A, A, A, N),
    "GET api-certification-remote-batches":      ("-",          A, A, D, D, D, NA),
    "POST api-certification-remote-batches":     ("-",          A, A, D, D, D, NA),
    "GET api-certification-remote-batch":        ("batch",      A, A, D, D, D, NA),
    "GET api-certification-remote-members":      ("batch",      A, A, D, D, D, NA),
    "POST api-certification-remote-return":      ("member",     A, A, D, D, D, H),
    "POST api-certification-import-check":       ("-",          A, A, D, D, D, NA),
    "GET api-certification-import-detail":       ("cert_import", A, A, D, D, D, NA),
    "GET api-certification-import-problems":     ("cert_import", A, A, D, D, D, NA),
    "POST api-certification-import-confirm":     ("cert_import", A, A, D, D, D, NA),
    "POST api-certification-import-cancel":      ("cert_import", A, A, D, D, D, NA),
    "GET api-certification-death-matches":       ("-",          A, A, D, D, D, NA),
    "POST api-certification-death-match-decide": ("death",      A, A, D, D, D, H),
    "GET api-certification-campaigns":           ("-",          A, A, A, A, A, NA),
    "POST api-certification-campaigns":          ("-",          A, D, D, D, D, NA),
    "GET api-certification-campaign":            ("year",       A, A, A, A, A, NA),
    "PATCH api-certification-campaign":          ("year",       A, D, D, D, D, NA),
    "GET api-certification-suspension":          ("year",       A, A, A, A, A, NA),
    # claim parameters (丧葬抚恤参数): the admin's alone, reading included (docs/benefit-parameters.md)
    "GET benefit-parameters":                    ("-",          A, D, D, D, D, NA),
    "POST benefit-parameter-set":                ("-",          A, D, D, D, D, NA),
    "POST benefit-average-clear":                ("-",          A, D, D, D, D, NA),
    "GET api-benefit-parameters":                ("-",          A, D, D, D, D, NA),
    "POST api-benefit-parameters":               ("-",          A, D, D, D, D, NA),
    "POST api-benefit-average-clear":            ("-",          A, D, D, D, D, NA),
    # the annual adjustment's hub and parameters (docs/annual-adjustment.md): read by may_view_adjustments
    # (the payout roles, the admin and the auditor), written by MANAGE_SETTINGS alone; 2026 has parameters
    "GET adjustment-list":                       ("-",          A, A, A, A, D, NA),
    "POST adjustment-parameters-copy":           ("-",          A, D, D, D, D, NA),
    "GET adjustment-parameters":                 ("year",       A, A, A, A, D, NA),
    "POST adjustment-parameters":                ("year",       A, D, D, D, D, NA),
    "GET adjustment-parameters-pdf":             ("year",       A, A, A, A, D, NA),
    "GET api-adjustment-parameters":             ("-",          A, A, A, A, D, NA),
    "POST api-adjustment-parameters":            ("-",          A, D, D, D, D, NA),
    "GET api-adjustment-parameters-year":        ("year",       A, A, A, A, D, NA),
    "POST api-adjustment-parameters-copy":       ("year",       A, D, D, D, D, NA),
    # the county-wide audit log: read-only, the auditor and the admin (docs/personal-data.md)
    "GET audit-log":                             ("-",          A, D, D, A, D, NA),
    "GET audit-log-export":                      ("-",          A, D, D, A, D, NA),
    # the approvals inbox: what waits for me to approve (docs/approvals.md): the roles that approve
    "GET approval-inbox":                        ("-",          A, D, A, D, D, NA),
    "GET api-approval-inbox":                    ("-",          A, D, A, D, D, NA),
    # the schema and Swagger UI only for signed-in staff (docs/security.md): Swagger UI sends a visitor to the
    # login page, the schema answers 403
    "GET api-schema":                            ("-",          A, A, A, A, A, NA),
    "GET api-docs":                              ("-",          A, A, A, A, A, NA, LOGIN),
    # revoking one's own API token (docs/api.md)
    "POST api-token-revoke":                     ("-",          A, A, A, A, A, NA),
    # the family's claims (docs/claims.md): a clerk prepares (EDIT_REGISTRY), a reviewer approves
    # (APPROVE_PAYMENTS, never the preparer); township staff see their township's progress on the list only
    "GET benefit-claim-list":                    ("-",          A, A, A, A, A, NA),
    "GET benefit-claim-detail":                  ("claim",      A, A, A, A, D, H),
    "GET benefit-claim-pdf":                     ("claim",      A, A, A, A, D, H),
    "GET benefit-claim-document":                ("claim_document", A, A, A, A, D, H),
    "GET benefit-claim-prepare":                 ("claim_registration", A, A, D, D, D, H),
    "POST benefit-claim-prepare":                ("claim_registration", A, A, D, D, D, H),
    "GET benefit-claim-edit":                    ("claim",      A, A, D, D, D, H),
    "POST benefit-claim-edit":                   ("claim",      A, A, D, D, D, H),
    "POST benefit-claim-recompute":              ("claim",      A, A, D, D, D, H),
    "POST benefit-claim-submit":                 ("claim",      A, A, D, D, D, H),
    "POST benefit-claim-cancel":                 ("claim",      A, A, D, D, D, H),
    "POST benefit-claim-approve":                ("claim",      A, D, A, D, D, H),
    "POST benefit-claim-reject":                 ("claim",      A, D, A, D, D, H),
    "GET api-benefit-claim-list":                ("-",          A, A, A, A, A, NA),
    "POST api-benefit-claim-list":               ("-",          A, A, D, D, D, NA),
    "GET api-benefit-claim-detail":              ("claim",      A, A, A, A, D, H),
    "PUT api-benefit-claim-detail":              ("claim",      A, A, D, D, D, H),
    "GET api-benefit-claim-pdf":                 ("claim",      A, A, A, A, D, H),
    "POST api-benefit-claim-recompute":          ("claim",      A, A, D, D, D, H),
    "POST api-benefit-claim-submit":             ("claim",      A, A, D, D, D, H),
    "POST api-benefit-claim-cancel":             ("claim",      A, A, D, D, D, H),
    "POST api-benefit-claim-approve":            ("claim",      A, D, A, D, D, H),
    "POST api-benefit-claim-reject":             ("claim",      A, D, A, D, D, H),
}
# fmt: on


# The minimal body of a write, where an empty one would stop before the permission check without being a
# refusal (the page re-renders a form no one submitted). Every other write is sent empty.
BODIES: Final[dict[str, dict[str, str]]] = {
    "POST change-request-detail": {"decision": "reject"},
}


def markdown() -> str:
    """The table for people (docs/permissions.md): `python -m tests.permissions_table`."""
    words = {OK: "yes", DENIED: "403", NOT_FOUND: "404", HIDDEN: "403/404", LOGIN: "login", ANON: "401/403"}
    columns = ["method and URL name", *ROLES[:5], "township, B's object"]
    rows = ["| " + " | ".join([*columns, "anonymous"]) + " |", "|" + "---|" * 8]
    for key, row in TABLE.items():
        cells = [words.get(str(cell), "—") if cell is not None else "—" for cell in row[1:7]]
        anonymous = words[str(row[7])] if len(row) == 8 else ("401/403" if " api-" in key else "login")
        rows.append(f"| `{key}` | " + " | ".join([*cells, anonymous]) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown())
