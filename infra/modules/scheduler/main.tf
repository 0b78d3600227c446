# The tick: Cloud Scheduler publishes a message to the tick topic; its push subscription calls syncTick, which
# ignores the message's content (functions/index.ts). Cloud Scheduler publishes as its service agent, which gets
# publish on this one topic.

resource "google_pubsub_topic_iam_member" "scheduler_publishes" {
  project = var.project_id
  topic   = var.topic_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.scheduler_service_agent}"
}

resource "google_cloud_scheduler_job" "this" {
  project     = var.project_id
  region      = var.region
  name        = var.name
  description = "The sync's tick: publishes to ${var.topic_id} on ${var.schedule} (${var.time_zone})."
  schedule    = var.schedule
  time_zone   = var.time_zone

  pubsub_target {
    topic_name = var.topic_id
    data       = base64encode(var.message)
  }

  depends_on = [google_pubsub_topic_iam_member.scheduler_publishes]
}
