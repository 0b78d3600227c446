# What Cloud Build needs to build the functions: the source archive (npm run package), uploaded under a name
# derived from its SHA-256 so that a new archive is a new object and redeploys every function; the Artifact
# Registry repository the images go to; and a build service account of its own (new projects no longer give Cloud
# Build a default account that can build functions).

resource "google_storage_bucket" "source" {
  project                     = var.project_id
  name                        = var.bucket_name
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # A destroy keeps the bucket while archives are in it.
  force_destroy = false
}

resource "google_storage_bucket_object" "archive" {
  bucket       = google_storage_bucket.source.name
  name         = "function-source-${filesha256(var.source_archive_path)}.zip"
  source       = var.source_archive_path
  content_type = "application/zip"
}

resource "google_artifact_registry_repository" "images" {
  project       = var.project_id
  location      = var.region
  repository_id = var.repository_id
  format        = "DOCKER"
  description   = "Images Cloud Build makes of the calendar sync functions."

  # The ten newest images of each function are kept; older ones go after 30 days.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"

    most_recent_versions {
      keep_count = 10
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"

    condition {
      older_than = "2592000s"
    }
  }
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = var.build_service_account_id
  display_name = "Calendar sync function builds"
  description  = "Cloud Build runs the calendar sync functions' builds as this account."
}

# The roles Google lists for a function's build account: write build logs, push the image, read the source. The
# source is read from the copy Cloud Functions makes in a bucket of its own (gcf-v2-sources-<number>-<region>),
# which does not exist before the first deployment, so the read is granted on the project.
resource "google_project_iam_member" "build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_project_iam_member" "build_reads_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = "serviceAccount:${google_service_account.build.email}"
}

resource "google_artifact_registry_repository_iam_member" "build_pushes_images" {
  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${google_service_account.build.email}"
}
