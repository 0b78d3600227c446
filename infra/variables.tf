variable "project_id" {
  type        = string
  description = "The Google Cloud project the sync runs in."
}

variable "region" {
  type        = string
  description = "The region of the functions, the scheduler, the source bucket and the image repository."
  default     = "europe-west1"
}

variable "firestore_location" {
  type        = string
  description = "Firestore's location: a region or a multi-region (eur3, nam5). Empty: the region above. Cannot change later."
  default     = ""
}

variable "firestore_delete_protection" {
  type        = bool
  description = "Whether Firestore refuses to delete the database (turn off only to tear everything down)."
  default     = true
}

variable "org_id" {
  type        = string
  description = "The organisation's id in Firestore (orgs/<org_id>): letters, digits, - and _, at most 64 (ORG_ID)."
  default     = "default"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.org_id))
    error_message = "Letters, digits, \"-\" and \"_\" only, at most 64."
  }
}

variable "workspace_domain" {
  type        = string
  description = "The Google Workspace domain whose people may sign in to the console (WORKSPACE_DOMAIN), e.g. example.com."

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.workspace_domain))
    error_message = "A lower-case domain name such as example.com."
  }
}

variable "admin_emails" {
  type        = list(string)
  description = "The e-mails of the console's administrators, in the Workspace domain (CONSOLE_ADMINS)."

  validation {
    condition     = length(var.admin_emails) > 0 && alltrue([for e in var.admin_emails : can(regex("^[^@,\\s]+@[^@,\\s]+$", e))])
    error_message = "At least one e-mail address, without commas."
  }
}

variable "console_oauth_client_id" {
  type        = string
  description = "The OAuth client id (type Web application) the console's sign-in tokens are for (CONSOLE_CLIENT_ID)."

  validation {
    condition     = length(trimspace(var.console_oauth_client_id)) > 0
    error_message = "The console refuses every call without a client id."
  }
}

variable "severa_api_url" {
  type        = string
  description = "The Severa REST API (SEVERA_API_URL); staging is https://api.severa.stag.visma.com/rest-api."
  default     = "https://api.severa.visma.com/rest-api"
}

variable "severa_client_id" {
  type        = string
  description = "The Severa API client id (SEVERA_CLIENT_ID; the console's org setup stores it too). Its secret goes to Secret Manager through the console, never here."
}

variable "push_domain" {
  type        = string
  description = "A domain you have verified for Google Calendar's push notifications, mapped to calendarPush (e.g. calendar-push.example.com). Empty: no push channels; changes in Google arrive with the safety syncs."
  default     = ""
}

variable "source_archive_path" {
  type        = string
  description = "The deployable archive npm run package writes, relative to this directory."
  default     = "../build/function-source.zip"
}

variable "log_level" {
  type        = string
  description = "The functions' log level (LOG_LEVEL)."
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "One of debug, info, warn, error."
  }
}

variable "warm_instances" {
  type        = map(number)
  description = "Instances kept warm per function (entry point → count; default none): each skips the cold start's Firestore client load (about 0.6 s, docs/performance.md) and is billed while idle. E.g. { syncWorker = 1, calendarPush = 1 }."
  default     = {}

  validation {
    condition = alltrue([
      for name, count in var.warm_instances :
      contains(["calendarPush", "severaWebhook", "syncTick", "syncWorker", "console"], name) && count >= 0 && count <= 1 && floor(count) == count
    ])
    error_message = "Keys: calendarPush, severaWebhook, syncTick, syncWorker, console; values 0 or 1."
  }
}
