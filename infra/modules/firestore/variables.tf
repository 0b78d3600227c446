variable "project_id" {
  type        = string
  description = "The project of the database."
}

variable "location_id" {
  type        = string
  description = "Firestore location: a region (europe-west1) or a multi-region (eur3, nam5). Cannot be changed later."
}

variable "delete_protection" {
  type        = bool
  description = "Whether Firestore refuses to delete the database."
  default     = true
}

variable "ttl_fields" {
  type = map(object({
    collection = string
    field      = string
  }))
  description = "TTL policies, keyed by a name: the collection group and the Timestamp field whose instant expires a document."
  default     = {}
}

variable "composite_indexes" {
  type = map(object({
    collection  = string
    query_scope = string
    fields = list(object({
      field_path = string
      order      = string
    }))
  }))
  description = "Composite indexes, keyed by a name: collection group, scope (COLLECTION or COLLECTION_GROUP) and ordered fields."
  default     = {}
}
