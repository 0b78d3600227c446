variable "project_id" {
  type        = string
  description = "The project of the secrets."
}

variable "names" {
  type        = list(string)
  description = "Secret names (SECRET_NAMES in shared/config.ts)."
}
