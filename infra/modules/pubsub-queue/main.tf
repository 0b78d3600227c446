# One queue as shared/adapters/pubsub/pubsub.publisher.ts describes it (docs/infrastructure.md, "Delivery policy and
# dead letters"): the topic; its push subscription to one function, authenticated with an OIDC token of the push
# service account and carrying DELIVERY_POLICY; and the dead-letter topic `<topic>-dead-letter` with the pull
# subscription of the same name that keeps what Pub/Sub gave up on (`npm run cli -- dead-letters list|replay`).

resource "google_pubsub_topic" "this" {
  project = var.project_id
  name    = var.topic_name
}

resource "google_pubsub_topic" "dead_letter" {
  project = var.project_id
  name    = "${var.topic_name}${var.dead_letter_suffix}"
}

# Without a subscription a message published to the dead-letter topic is lost.
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.topic_name}${var.dead_letter_suffix}"
  topic                      = google_pubsub_topic.dead_letter.id
  ack_deadline_seconds       = var.delivery_policy.dead_letter_ack_deadline_seconds
  message_retention_duration = "${var.delivery_policy.dead_letter_retention_seconds}s"

  # An empty ttl: never deleted for being idle (Pub/Sub's default deletes a subscription after 31 idle days).
  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "push" {
  project                    = var.project_id
  name                       = var.push_subscription_name
  topic                      = google_pubsub_topic.this.id
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = var.message_retention_duration

  push_config {
    push_endpoint = var.push_endpoint

    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.push_audience
    }
  }

  retry_policy {
    minimum_backoff = "${var.delivery_policy.minimum_backoff_seconds}s"
    maximum_backoff = "${var.delivery_policy.maximum_backoff_seconds}s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.delivery_policy.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.agent_publishes_dead_letters]
}

# Pub/Sub forwards a dead letter as its own service agent: it must publish to the dead-letter topic and subscribe to
# (acknowledge on) the subscription it takes the message from; without both it keeps retrying until retention ends.
resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.pubsub_service_agent}"
}

resource "google_pubsub_subscription_iam_member" "agent_acks_dead_letters" {
  project      = var.project_id
  subscription = google_pubsub_subscription.push.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.pubsub_service_agent}"
}
