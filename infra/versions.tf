terraform {
  required_version = ">= 1.5"

  # State in a Cloud Storage bucket of the organisation's (never in the repository): its name is given at init,
  # `terraform init -backend-config="bucket=<bucket>"` (docs/deploy.md; Cloud Build passes $_TF_STATE_BUCKET).
  backend "gcs" {
    prefix = "calendar-sync"
  }

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.50.0, < 7.0.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
