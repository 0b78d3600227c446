variable "project_id" {
  type        = string
  description = "The project of the topics and subscriptions."
}

variable "topic_name" {
  type        = string
  description = "The topic, e.g. sync-requests."
}

variable "dead_letter_suffix" {
  type        = string
  description = "Appended to the topic's name to name its dead-letter topic and pull subscription (DEAD_LETTER_SUFFIX in pubsub.publisher.ts)."
}

variable "push_subscription_name" {
  type        = string
  description = "The push subscription to the function, e.g. sync-requests-syncWorker."
}

variable "push_endpoint" {
  type        = string
  description = "The function's run.app URL that Pub/Sub pushes to (the run.app address counts as internal traffic)."
}

variable "push_audience" {
  type        = string
  description = "The audience of the push's OIDC token: the function's URL, as Cloud Run's IAM check requires."
}

variable "push_service_account_email" {
  type        = string
  description = "The service account whose OIDC token signs each push (it holds roles/run.invoker on the function)."
}

variable "ack_deadline_seconds" {
  type        = number
  description = "How long Pub/Sub waits for the function's answer to a push (10 to 600); at least the function's timeout."

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600
    error_message = "Pub/Sub allows an ack deadline of 10 to 600 seconds."
  }
}

variable "message_retention_duration" {
  type        = string
  description = "How long an undelivered message is kept on the push subscription, e.g. 604800s (10 minutes to 7 days)."
}

variable "delivery_policy" {
  type = object({
    max_delivery_attempts            = number
    minimum_backoff_seconds          = number
    maximum_backoff_seconds          = number
    dead_letter_retention_seconds    = number
    dead_letter_ack_deadline_seconds = number
  })
  description = "DELIVERY_POLICY of shared/adapters/pubsub/pubsub.publisher.ts, in Terraform's words."
}

variable "pubsub_service_agent" {
  type        = string
  description = "The project's Pub/Sub service agent, service-<project number>@gcp-sa-pubsub.iam.gserviceaccount.com."
}
