variable "project_id" {
  type        = string
  description = "The project of the mapping."
}

variable "region" {
  type        = string
  description = "The region of the service (domain mappings exist in some regions only)."
}

variable "domain" {
  type        = string
  description = "The verified domain, e.g. calendar-push.example.com; empty for no mapping."
}

variable "service" {
  type        = string
  description = "The Cloud Run service the domain serves (calendarPush's)."
}
