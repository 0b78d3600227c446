# The Severa ⇄ Google Calendar sync in one Google Cloud project: five 2nd-gen Cloud Functions on nodejs22, the
# Firestore database, the two Pub/Sub queues with their dead letters, the scheduler's tick and the secrets'
# containers. `npm run infra:check` checks this configuration against the provider's schema and the code
# (scripts/infra-check.ts); docs/deploy.md says how to apply it.
#
# Not made here, on purpose: the service account used for domain-wide delegation to Google Calendar. The Workspace
# administrator creates it (docs/deploy.md), with no role in this project or any other: it only signs the
# delegation, and its .p12 key reaches Secret Manager through the console. No secret value is in this
# configuration or its state.

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  project_number = data.google_project.this.number

  # Google-managed identities of the project.
  pubsub_service_agent    = "service-${local.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  scheduler_service_agent = "service-${local.project_number}@gcp-sa-cloudscheduler.iam.gserviceaccount.com"

  # DELIVERY_POLICY of shared/adapters/pubsub/pubsub.publisher.ts (the local stack applies the same values);
  # npm run infra:check fails when they differ.
  delivery_policy = {
    max_delivery_attempts            = 15
    minimum_backoff_seconds          = 10
    maximum_backoff_seconds          = 600
    dead_letter_retention_seconds    = 604800
    dead_letter_ack_deadline_seconds = 60
  }
  # DEAD_LETTER_SUFFIX of the same file.
  dead_letter_suffix = "-dead-letter"

  topics = {
    sync_requests = "sync-requests"
    sync_tick     = "sync-tick"
  }

  # SECRET_NAMES of shared/config.ts.
  secret_names = ["severa-client-secret", "google-sa-p12", "google-sa-p12-password", "severa-webhook-secret"]

  # The cadences of shared/config.ts, set where they are used so that the sizes below follow from them.
  intervals = {
    # A worker's lease on a person lasts this long: longer than the worker's timeout, so a live run never loses it.
    lease_ttl_ms = "600000"
    # Sync requests older than this are dropped; the push subscription keeps undelivered ones no longer.
    max_message_age_ms = "86400000"
    safety_sync_ms     = "900000"
    reconcile_ms       = "3600000"
    # The tick's second Severa poll, this long after the first: well inside the tick's timeout.
    tick_second_poll_delay_ms = "30000"
  }

  # Cloud Run's deterministic run.app URL of a service, known before it exists
  # (https://cloud.google.com/run/docs/triggering/https-request): the Pub/Sub-fed functions need their own URL as
  # the audience they check, which cannot come from the function itself.
  run_url = {
    syncTick   = "https://sync-tick-${local.project_number}.${var.region}.run.app"
    syncWorker = "https://sync-worker-${local.project_number}.${var.region}.run.app"
  }

  push_service_account_id = "calendar-sync-pubsub-push"
  push_address            = var.push_domain == "" ? "" : "https://${var.push_domain}/"

  secret_ids = module.secrets.ids

  # The five functions, keyed by the entry point functions/index.ts registers.
  #
  # Sizes. Severa allows 10 requests per second for the whole organisation (reference severa-api.md §4) and each
  # instance paces itself at SEVERA_RATE_PER_SECOND, so the instances that call Severa share a budget of 8 per
  # second, 2 kept in reserve for the operator's CLI and clock skew:
  #   syncWorker 3 × 1.5 + syncTick 1 × 1 + severaWebhook 2 × 0.5 + console 2 × 0.75 = 8.
  # Within an instance the pace is shared fairly among the people whose runs wait (adapters/throttle.ts), so the
  # worker serves a few people at once per instance. The worker's timeout (540 s) stays under LEASE_TTL_MS (600 s)
  # and under its subscription's ack deadline (600 s, Pub/Sub's maximum); the tick's (240 s) under its ack deadline
  # (300 s). calendarPush calls no Severa API.
  #
  # Who may call. calendarPush and severaWebhook are public: Google Calendar and Severa (or its relay) cannot
  # present a Google identity, and each checks its caller itself (channel token; HMAC signature). The console is
  # public too: a browser cannot present a Cloud Run IAM identity, its page is static (nothing in it is secret),
  # and every API call carries a Google ID token the function verifies (signature, audience CONSOLE_CLIENT_ID,
  # Workspace domain, administrators) before it does anything. syncTick and syncWorker are private: only the
  # push service account may invoke them, and their ingress admits only traffic from inside the project (Pub/Sub
  # push to the run.app URL counts), so an outsider is stopped before the code's own token check runs.
  #
  # Cloud Run checks the push token's signature itself (IAM) and hands the token on with its signature replaced by
  # SIGNATURE_REMOVED_BY_GOOGLE (cloud.google.com/run/docs/troubleshooting#signature-removed); Pub/Sub can send its
  # token only in that header. PUSH_AUTH_VERIFIED_BY_CLOUD_RUN tells the code's push check (pubsub.push-auth.ts) so: it
  # checks issuer, audience, expiry and the push account, and refuses a token that still carries a signature (a
  # sign that the function was made public and Cloud Run checked nothing).
  functions = {
    calendarPush = {
      name               = "calendar-push"
      description        = "Google Calendar push notifications: checks the channel's token, asks for a sync."
      service_account_id = "calendar-sync-fn-push"
      memory             = "512Mi"
      cpu                = "1"
      timeout_seconds    = 30
      max_instances      = 5
      concurrency        = 40
      ingress            = "ALLOW_ALL"
      invokers           = { public = "allUsers" }
      project_roles      = { firestore = "roles/datastore.user" }
      publish_topics     = { "sync-requests" = module.sync_requests.topic_id }
      secrets_read       = {}
      secrets_write      = {}
      environment = {
        ORG_ID               = var.org_id
        GOOGLE_CLOUD_PROJECT = var.project_id
        SECRET_SOURCE        = "secret-manager"
        SYNC_REQUESTS_TOPIC  = module.sync_requests.topic_name
        LOG_LEVEL            = var.log_level
      }
    }

    severaWebhook = {
      name               = "severa-webhook"
      description        = "Severa change notices (HMAC-signed): polls Severa once, asks for the syncs."
      service_account_id = "calendar-sync-fn-webhook"
      memory             = "512Mi"
      cpu                = "1"
      timeout_seconds    = 60
      max_instances      = 2
      concurrency        = 10
      ingress            = "ALLOW_ALL"
      invokers           = { public = "allUsers" }
      project_roles      = { firestore = "roles/datastore.user" }
      publish_topics     = { "sync-requests" = module.sync_requests.topic_id }
      # The signature key, and what the poll reads Severa and Google with (the tick's dependencies).
      secrets_read = {
        "severa-webhook-secret"  = local.secret_ids["severa-webhook-secret"]
        "severa-client-secret"   = local.secret_ids["severa-client-secret"]
        "google-sa-p12"          = local.secret_ids["google-sa-p12"]
        "google-sa-p12-password" = local.secret_ids["google-sa-p12-password"]
      }
      secrets_write = {}
      environment = {
        ORG_ID                 = var.org_id
        GOOGLE_CLOUD_PROJECT   = var.project_id
        SECRET_SOURCE          = "secret-manager"
        SYNC_REQUESTS_TOPIC    = module.sync_requests.topic_name
        LOG_LEVEL              = var.log_level
        SEVERA_API_URL         = var.severa_api_url
        SEVERA_CLIENT_ID       = var.severa_client_id
        SEVERA_RATE_PER_SECOND = "0.5"
      }
    }

    # The tick has half a vCPU: it holds its request through the second poll (30 s of waiting a minute), and Cloud
    # Run bills CPU while a request runs. A fraction of a vCPU needs a concurrency of 1, which the tick has.
    syncTick = {
      name               = "sync-tick"
      description        = "The scheduler's tick: the org-wide Severa poll, safety syncs, reconciles, channel renewals."
      service_account_id = "calendar-sync-fn-tick"
      memory             = "512Mi"
      cpu                = "0.5"
      timeout_seconds    = 240
      max_instances      = 1
      concurrency        = 1
      ingress            = "ALLOW_INTERNAL_ONLY"
      invokers           = { pubsub_push = "serviceAccount:${google_service_account.push.email}" }
      project_roles      = { firestore = "roles/datastore.user" }
      publish_topics     = { "sync-requests" = module.sync_requests.topic_id }
      secrets_read = {
        "severa-client-secret"   = local.secret_ids["severa-client-secret"]
        "google-sa-p12"          = local.secret_ids["google-sa-p12"]
        "google-sa-p12-password" = local.secret_ids["google-sa-p12-password"]
      }
      secrets_write = {}
      environment = {
        ORG_ID                          = var.org_id
        GOOGLE_CLOUD_PROJECT            = var.project_id
        SECRET_SOURCE                   = "secret-manager"
        SYNC_REQUESTS_TOPIC             = module.sync_requests.topic_name
        LOG_LEVEL                       = var.log_level
        SEVERA_API_URL                  = var.severa_api_url
        SEVERA_CLIENT_ID                = var.severa_client_id
        SEVERA_RATE_PER_SECOND          = "1"
        PUSH_ADDRESS                    = local.push_address
        PUSH_AUTH_AUDIENCE              = local.run_url.syncTick
        PUSH_AUTH_SERVICE_ACCOUNT       = google_service_account.push.email
        PUSH_AUTH_VERIFIED_BY_CLOUD_RUN = "true"
        TICK_SECOND_POLL_DELAY_MS       = local.intervals.tick_second_poll_delay_ms
        SAFETY_SYNC_INTERVAL_MS         = local.intervals.safety_sync_ms
        RECONCILE_INTERVAL_MS           = local.intervals.reconcile_ms
      }
    }

    syncWorker = {
      name               = "sync-worker"
      description        = "One person's sync request: the two-way sync of their calendar and Severa activities."
      service_account_id = "calendar-sync-fn-worker"
      memory             = "1Gi"
      cpu                = "1"
      timeout_seconds    = 540
      max_instances      = 3
      concurrency        = 4
      ingress            = "ALLOW_INTERNAL_ONLY"
      invokers           = { pubsub_push = "serviceAccount:${google_service_account.push.email}" }
      project_roles      = { firestore = "roles/datastore.user" }
      publish_topics     = {}
      secrets_read = {
        "severa-client-secret"   = local.secret_ids["severa-client-secret"]
        "google-sa-p12"          = local.secret_ids["google-sa-p12"]
        "google-sa-p12-password" = local.secret_ids["google-sa-p12-password"]
      }
      secrets_write = {}
      environment = {
        ORG_ID                          = var.org_id
        GOOGLE_CLOUD_PROJECT            = var.project_id
        SECRET_SOURCE                   = "secret-manager"
        LOG_LEVEL                       = var.log_level
        SEVERA_API_URL                  = var.severa_api_url
        SEVERA_CLIENT_ID                = var.severa_client_id
        SEVERA_RATE_PER_SECOND          = "1.5"
        PUSH_AUTH_AUDIENCE              = local.run_url.syncWorker
        PUSH_AUTH_SERVICE_ACCOUNT       = google_service_account.push.email
        PUSH_AUTH_VERIFIED_BY_CLOUD_RUN = "true"
        LEASE_TTL_MS                    = local.intervals.lease_ttl_ms
        MAX_MESSAGE_AGE_MS              = local.intervals.max_message_age_ms
      }
    }

    console = {
      name               = "console"
      description        = "The console: its page and its JSON API for people signed in with Google."
      service_account_id = "calendar-sync-fn-console"
      memory             = "512Mi"
      cpu                = "1"
      timeout_seconds    = 60
      max_instances      = 2
      concurrency        = 20
      ingress            = "ALLOW_ALL"
      invokers           = { public = "allUsers" }
      # The org setup adds versions to the four secrets below (SecretManagerSource.putSecret adds the version first
      # and creates a secret only when it is missing, which it never is here): no right to create secrets.
      project_roles  = { firestore = "roles/datastore.user" }
      publish_topics = { "sync-requests" = module.sync_requests.topic_id }
      secrets_read = {
        "severa-client-secret"   = local.secret_ids["severa-client-secret"]
        "google-sa-p12"          = local.secret_ids["google-sa-p12"]
        "google-sa-p12-password" = local.secret_ids["google-sa-p12-password"]
        "severa-webhook-secret"  = local.secret_ids["severa-webhook-secret"]
      }
      secrets_write = {
        "severa-client-secret"   = local.secret_ids["severa-client-secret"]
        "google-sa-p12"          = local.secret_ids["google-sa-p12"]
        "google-sa-p12-password" = local.secret_ids["google-sa-p12-password"]
        "severa-webhook-secret"  = local.secret_ids["severa-webhook-secret"]
      }
      environment = {
        ORG_ID                  = var.org_id
        GOOGLE_CLOUD_PROJECT    = var.project_id
        SECRET_SOURCE           = "secret-manager"
        SYNC_REQUESTS_TOPIC     = module.sync_requests.topic_name
        LOG_LEVEL               = var.log_level
        SEVERA_API_URL          = var.severa_api_url
        SEVERA_CLIENT_ID        = var.severa_client_id
        SEVERA_RATE_PER_SECOND  = "0.75"
        PUSH_ADDRESS            = local.push_address
        SAFETY_SYNC_INTERVAL_MS = local.intervals.safety_sync_ms
        CONSOLE_CLIENT_ID       = var.console_oauth_client_id
        WORKSPACE_DOMAIN        = var.workspace_domain
        CONSOLE_ADMINS          = join(",", var.admin_emails)
      }
    }
  }
}

module "services" {
  source     = "./modules/project-services"
  project_id = var.project_id
  services = [
    "artifactregistry.googleapis.com",
    "calendar-json.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}

module "firestore" {
  source            = "./modules/firestore"
  project_id        = var.project_id
  location_id       = var.firestore_location == "" ? var.region : var.firestore_location
  delete_protection = var.firestore_delete_protection

  # The TTL fields of shared/adapters/firestore/layout.ts: audit entries and processed-message records.
  ttl_fields = {
    audit    = { collection = "audit", field = "expiresAt" }
    messages = { collection = "messages", field = "expiresAt" }
  }

  # Every other query of shared/adapters/firestore/ has one equality or one order, which Firestore's automatic
  # single-field indexes serve. The one with two equalities, links where user == … and googleId == … (saving a
  # link, inside its transaction), Firestore could answer by merging two single-field indexes; this index lets it
  # read one instead, on a path every sync run takes.
  composite_indexes = {
    links_user_google_id = {
      collection  = "links"
      query_scope = "COLLECTION"
      fields = [
        { field_path = "user", order = "ASCENDING" },
        { field_path = "googleId", order = "ASCENDING" },
      ]
    }
  }

  depends_on = [module.services]
}

module "secrets" {
  source     = "./modules/secrets"
  project_id = var.project_id
  names      = local.secret_names

  depends_on = [module.services]
}

module "function_build" {
  source                   = "./modules/function-build"
  project_id               = var.project_id
  region                   = var.region
  bucket_name              = "${var.project_id}-calendar-sync-source"
  source_archive_path      = var.source_archive_path
  repository_id            = "calendar-sync-functions"
  build_service_account_id = "calendar-sync-build"

  depends_on = [module.services]
}

# The identity Pub/Sub signs its pushes to syncTick and syncWorker with: the only invoker of those two.
resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = local.push_service_account_id
  display_name = "Calendar sync Pub/Sub push"
  description  = "Signs Pub/Sub's pushes to sync-tick and sync-worker; holds roles/run.invoker on those two only."

  depends_on = [module.services]
}

# Pub/Sub mints the push's OIDC token as this account: its service agent may do so for this account only (needed
# in projects made before 8 April 2021, harmless in newer ones).
resource "google_service_account_iam_member" "pubsub_signs_pushes" {
  service_account_id = google_service_account.push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"
}

module "sync_requests" {
  source                     = "./modules/pubsub-queue"
  project_id                 = var.project_id
  topic_name                 = local.topics.sync_requests
  dead_letter_suffix         = local.dead_letter_suffix
  push_subscription_name     = "${local.topics.sync_requests}-syncWorker"
  push_endpoint              = local.run_url.syncWorker
  push_audience              = local.run_url.syncWorker
  push_service_account_email = google_service_account.push.email
  # Pub/Sub's longest: above syncWorker's timeout, so a run still going is not delivered a second time.
  ack_deadline_seconds = 600
  # MAX_MESSAGE_AGE_MS: the worker drops older requests anyway.
  message_retention_duration = "86400s"
  delivery_policy            = local.delivery_policy
  pubsub_service_agent       = local.pubsub_service_agent

  depends_on = [module.services, google_service_account_iam_member.pubsub_signs_pushes]
}

module "sync_tick" {
  source                     = "./modules/pubsub-queue"
  project_id                 = var.project_id
  topic_name                 = local.topics.sync_tick
  dead_letter_suffix         = local.dead_letter_suffix
  push_subscription_name     = "${local.topics.sync_tick}-syncTick"
  push_endpoint              = local.run_url.syncTick
  push_audience              = local.run_url.syncTick
  push_service_account_email = google_service_account.push.email
  # Above syncTick's timeout.
  ack_deadline_seconds = 300
  # A tick older than this is worth nothing: the next comes within a minute (Pub/Sub's shortest retention).
  message_retention_duration = "600s"
  delivery_policy            = local.delivery_policy
  pubsub_service_agent       = local.pubsub_service_agent

  depends_on = [module.services, google_service_account_iam_member.pubsub_signs_pushes]
}

module "functions" {
  source   = "./modules/function"
  for_each = local.functions

  project_id                       = var.project_id
  region                           = var.region
  name                             = each.value.name
  entry_point                      = each.key
  description                      = each.value.description
  runtime                          = "nodejs22"
  source_bucket                    = module.function_build.bucket
  source_object                    = module.function_build.object
  build_service_account_id         = module.function_build.build_service_account_id
  docker_repository                = module.function_build.docker_repository
  service_account_id               = each.value.service_account_id
  available_memory                 = each.value.memory
  available_cpu                    = each.value.cpu
  timeout_seconds                  = each.value.timeout_seconds
  min_instance_count               = lookup(var.warm_instances, each.key, 0)
  max_instance_count               = each.value.max_instances
  max_instance_request_concurrency = each.value.concurrency
  ingress_settings                 = each.value.ingress
  environment_variables            = each.value.environment
  project_roles                    = each.value.project_roles
  publish_topics                   = each.value.publish_topics
  secrets_read                     = each.value.secrets_read
  secrets_write                    = each.value.secrets_write
  invokers                         = each.value.invokers

  depends_on = [module.services, module.firestore]
}

module "tick_schedule" {
  source                  = "./modules/scheduler"
  project_id              = var.project_id
  region                  = var.region
  name                    = "calendar-sync-tick"
  schedule                = "* * * * *"
  time_zone               = "Etc/UTC"
  topic_id                = module.sync_tick.topic_id
  scheduler_service_agent = local.scheduler_service_agent

  depends_on = [module.services]
}

module "push_domain" {
  source     = "./modules/push-domain"
  project_id = var.project_id
  region     = var.region
  domain     = var.push_domain
  service    = module.functions["calendarPush"].service
}
