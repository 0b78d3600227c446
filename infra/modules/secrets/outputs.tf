output "ids" {
  description = "Each secret's full name, projects/<project>/secrets/<name>, by its short name."
  value       = { for name, secret in google_secret_manager_secret.this : name => secret.id }
}
