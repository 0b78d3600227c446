variable "project_id" {
  type        = string
  description = "The project of the bucket, repository and build account."
}

variable "region" {
  type        = string
  description = "Where the bucket and the repository are."
}

variable "bucket_name" {
  type        = string
  description = "The source bucket's name (globally unique)."
}

variable "source_archive_path" {
  type        = string
  description = "The archive npm run package writes, relative to the directory terraform runs in."
}

variable "repository_id" {
  type        = string
  description = "The Artifact Registry repository's id."
}

variable "build_service_account_id" {
  type        = string
  description = "The account id (the part before @) of the build service account."
}
