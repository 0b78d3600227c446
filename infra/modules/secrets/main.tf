# The secrets' containers only. Their values are added by the console's org setup or the CLI (npm run cli -- org
# setup), never by Terraform, so no value is in the configuration or the state. Who may read or add versions is
# granted per secret with each function (modules/function).
resource "google_secret_manager_secret" "this" {
  for_each = toset(var.names)

  project   = var.project_id
  secret_id = each.value

  replication {
    auto {}
  }
}
