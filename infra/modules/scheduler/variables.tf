variable "project_id" {
  type        = string
  description = "The project of the job."
}

variable "region" {
  type        = string
  description = "Where the job runs."
}

variable "name" {
  type        = string
  description = "The job's name."
}

variable "schedule" {
  type        = string
  description = "When to publish, in cron syntax."
  default     = "* * * * *"
}

variable "time_zone" {
  type        = string
  description = "The time zone the schedule is read in."
  default     = "Etc/UTC"
}

variable "topic_id" {
  type        = string
  description = "The tick topic's full name, projects/<project>/topics/<topic>."
}

variable "message" {
  type        = string
  description = "The body of each tick message (syncTick reads none of it)."
  default     = "tick"
}

variable "scheduler_service_agent" {
  type        = string
  description = "Cloud Scheduler's service agent, service-<project number>@gcp-sa-cloudscheduler.iam.gserviceaccount.com."
}
