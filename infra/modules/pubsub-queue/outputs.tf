output "topic_name" {
  description = "The topic's short name."
  value       = google_pubsub_topic.this.name
}

output "topic_id" {
  description = "The topic's full name, projects/<project>/topics/<topic>."
  value       = google_pubsub_topic.this.id
}

output "dead_letter_topic_name" {
  description = "The dead-letter topic's short name."
  value       = google_pubsub_topic.dead_letter.name
}

output "dead_letter_subscription_name" {
  description = "The pull subscription that keeps the dead letters."
  value       = google_pubsub_subscription.dead_letter.name
}

output "push_subscription_name" {
  description = "The push subscription to the function."
  value       = google_pubsub_subscription.push.name
}
