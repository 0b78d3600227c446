output "database" {
  description = "The database's name, (default)."
  value       = google_firestore_database.this.name
}

output "location_id" {
  description = "Where the database is."
  value       = google_firestore_database.this.location_id
}
