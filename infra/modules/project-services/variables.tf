variable "project_id" {
  type        = string
  description = "The project whose APIs are enabled."
}

variable "services" {
  type        = list(string)
  description = "API service names to enable, e.g. pubsub.googleapis.com."
}
