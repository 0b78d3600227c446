output "uri" {
  description = "The function's run.app URL."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "service" {
  description = "The Cloud Run service the function runs as."
  value       = google_cloudfunctions2_function.this.service_config[0].service
}

output "service_account_email" {
  description = "The function's own service account."
  value       = google_service_account.this.email
}
