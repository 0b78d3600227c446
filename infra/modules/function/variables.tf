variable "project_id" {
  type        = string
  description = "The project of the function."
}

variable "region" {
  type        = string
  description = "The function's region."
}

variable "name" {
  type        = string
  description = "The function's (and its Cloud Run service's) name: lower case letters, digits and hyphens."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,48}[a-z0-9]$", var.name))
    error_message = "Use lower case letters, digits and hyphens, starting with a letter."
  }
}

variable "entry_point" {
  type        = string
  description = "The name registered with functions.http() in functions/index.ts."
}

variable "description" {
  type        = string
  description = "What the function does, shown in the Cloud console."
}

variable "runtime" {
  type        = string
  description = "The Cloud Functions runtime."
  default     = "nodejs22"
}

variable "source_bucket" {
  type        = string
  description = "The bucket holding the source archive."
}

variable "source_object" {
  type        = string
  description = "The source archive's object name (derived from its hash, so a new archive redeploys)."
}

variable "build_service_account_id" {
  type        = string
  description = "The service account Cloud Build builds the function as, projects/<project>/serviceAccounts/<email>."
}

variable "docker_repository" {
  type        = string
  description = "The Artifact Registry repository of the built images, projects/<project>/locations/<region>/repositories/<name>."
}

variable "service_account_id" {
  type        = string
  description = "The account id (the part before @) of this function's own service account, 6 to 30 characters."
}

variable "available_memory" {
  type        = string
  description = "Memory of one instance, e.g. 512Mi."
}

variable "available_cpu" {
  type        = string
  description = "vCPUs of one instance; at least 1 when one instance serves concurrent requests."
}

variable "timeout_seconds" {
  type        = number
  description = "The longest one request may run (HTTP functions: up to 3600)."
}

variable "min_instance_count" {
  type        = number
  description = "Instances kept warm (billed while idle); 0 lets the function scale to zero."
  default     = 0
}

variable "max_instance_count" {
  type        = number
  description = "The most instances that may run at once."
}

variable "max_instance_request_concurrency" {
  type        = number
  description = "Requests one instance serves at once."
}

variable "ingress_settings" {
  type        = string
  description = "ALLOW_ALL, or ALLOW_INTERNAL_ONLY for a function only Google Cloud services of this project call."

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "One of ALLOW_ALL, ALLOW_INTERNAL_ONLY, ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "The function's configuration: only names shared/config.ts reads (npm run infra:check checks it)."
}

variable "project_roles" {
  type        = map(string)
  description = "Project-level roles of the function's service account, by a name of the grant."
  default     = {}
}

variable "publish_topics" {
  type        = map(string)
  description = "Topics the function publishes to (roles/pubsub.publisher on each topic only), full names by short name."
  default     = {}
}

variable "secrets_read" {
  type        = map(string)
  description = "Secrets the function reads (roles/secretmanager.secretAccessor on each secret only), full names by secret name."
  default     = {}
}

variable "secrets_write" {
  type        = map(string)
  description = "Secrets the function adds versions to (roles/secretmanager.secretVersionAdder on each secret only), full names by secret name."
  default     = {}
}

variable "invokers" {
  type        = map(string)
  description = "Members given roles/run.invoker on the function's service (allUsers for a public function), by a name of the grant."
  default     = {}
}
