output "bucket" {
  description = "The source bucket."
  value       = google_storage_bucket.source.name
}

output "object" {
  description = "The source archive's object, named by its SHA-256."
  value       = google_storage_bucket_object.archive.name
}

output "docker_repository" {
  description = "The image repository, projects/<project>/locations/<region>/repositories/<id>."
  value       = google_artifact_registry_repository.images.id
}

output "build_service_account_id" {
  description = "The build service account, projects/<project>/serviceAccounts/<email>."
  value       = google_service_account.build.id
}

output "build_service_account_email" {
  description = "The build service account's e-mail."
  value       = google_service_account.build.email
}
