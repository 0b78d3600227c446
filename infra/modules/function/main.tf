# One 2nd-gen Cloud Function (a Cloud Run service) with a service account of its own that holds only what this
# function uses: project roles named by the caller (Firestore), publish on the named topics, read or add versions
# on the named secrets, and the invokers allowed by Cloud Run's IAM check. Each grant is a map whose keys are
# known when planning (a name) and whose values may only be known after apply (an id).

resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = var.service_account_id
  display_name = "Calendar sync function ${var.name}"
  description  = "Runs only the ${var.name} function (${var.entry_point})."
}

resource "google_project_iam_member" "this" {
  for_each = var.project_roles

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.this.email}"
}

resource "google_pubsub_topic_iam_member" "publish" {
  for_each = var.publish_topics

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.this.email}"
}

resource "google_secret_manager_secret_iam_member" "read" {
  for_each = var.secrets_read

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.this.email}"
}

resource "google_secret_manager_secret_iam_member" "write" {
  for_each = var.secrets_write

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretVersionAdder"
  member    = "serviceAccount:${google_service_account.this.email}"
}

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description

  build_config {
    runtime           = var.runtime
    entry_point       = var.entry_point
    service_account   = var.build_service_account_id
    docker_repository = var.docker_repository

    source {
      storage_source {
        bucket = var.source_bucket
        object = var.source_object
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.this.email
    available_memory                 = var.available_memory
    available_cpu                    = var.available_cpu
    timeout_seconds                  = var.timeout_seconds
    min_instance_count               = var.min_instance_count
    max_instance_count               = var.max_instance_count
    max_instance_request_concurrency = var.max_instance_request_concurrency
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    environment_variables            = var.environment_variables
  }

  # A new instance reads its secrets and publishes at once: its grants exist before it starts.
  depends_on = [
    google_project_iam_member.this,
    google_pubsub_topic_iam_member.publish,
    google_secret_manager_secret_iam_member.read,
    google_secret_manager_secret_iam_member.write,
  ]
}

# Who passes Cloud Run's own IAM check in front of the function (roles/run.invoker on its service).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.invokers

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this.service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}
