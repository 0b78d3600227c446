# Google Calendar sends push notifications only to an HTTPS address on a domain the organisation has verified
# (the team's reference google-calendar.md §2): the run.app and cloudfunctions.net names cannot be verified, so
# calendarPush gets a custom domain, mapped to its Cloud Run service. Created only when a domain is given; the DNS
# records it asks for are an output.
resource "google_cloud_run_domain_mapping" "this" {
  count = var.domain == "" ? 0 : 1

  project  = var.project_id
  location = var.region
  name     = var.domain

  metadata {
    namespace = var.project_id
  }

  spec {
    route_name = var.service
  }
}
