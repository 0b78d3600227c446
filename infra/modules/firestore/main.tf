# The organisation's state (shared/adapters/firestore/layout.ts): the default database in Native mode, which the
# code's Firestore client uses (it names no database).
resource "google_firestore_database" "this" {
  project                 = var.project_id
  name                    = "(default)"
  location_id             = var.location_id
  type                    = "FIRESTORE_NATIVE"
  delete_protection_state = var.delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # `terraform destroy` leaves the data in place; deleting it is a deliberate act in the console.
  deletion_policy = "ABANDON"
}

# Time-to-live policies: Firestore deletes a document some time (typically within a day) after the instant in its
# TTL field. The fields are never queried, so their single-field indexes are switched off (an empty index_config),
# which also avoids the write hotspot of indexing a steadily increasing timestamp.
resource "google_firestore_field" "ttl" {
  for_each = var.ttl_fields

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value.collection
  field      = each.value.field

  ttl_config {}
  index_config {}
}

# Composite indexes: one per entry, fields in order.
resource "google_firestore_index" "this" {
  for_each = var.composite_indexes

  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = each.value.collection
  query_scope = each.value.query_scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.field_path
      order      = fields.value.order
    }
  }
}
