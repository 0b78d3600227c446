output "job" {
  description = "The scheduler job's name."
  value       = google_cloud_scheduler_job.this.name
}
