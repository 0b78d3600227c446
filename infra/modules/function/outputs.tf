output "uri" {
  description = "The function's run.app URL."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "service" {
  description = "The name of the Cloud Run service the function runs as (the last part, should the API give a full name)."
  value       = reverse(split("/", google_cloudfunctions2_function.this.service_config[0].service))[0]
}

output "service_account_email" {
  description = "The function's own service account."
  value       = google_service_account.this.email
}
