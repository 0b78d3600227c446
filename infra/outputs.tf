output "console_url" {
  description = "The console: open it to sign in; add it, with a trailing slash, as an authorised redirect URI of the OAuth client."
  value       = module.functions["console"].uri
}

output "severa_webhook_url" {
  description = "Where Severa (or its relay) posts change notices, signed with the severa-webhook-secret secret."
  value       = module.functions["severaWebhook"].uri
}

output "calendar_push_url" {
  description = "calendarPush's own run.app URL (Google Calendar needs it behind the verified push domain)."
  value       = module.functions["calendarPush"].uri
}

output "push_address" {
  description = "The address push channels are opened with (PUSH_ADDRESS); empty without a push domain."
  value       = local.push_address
}

output "push_domain_dns_records" {
  description = "DNS records to create for the push domain (empty without one)."
  value       = module.push_domain.dns_records
}

output "function_service_accounts" {
  description = "Each function's own service account, by entry point."
  value       = { for name, fn in module.functions : name => fn.service_account_email }
}

output "push_service_account" {
  description = "The account Pub/Sub signs its pushes to syncTick and syncWorker with."
  value       = google_service_account.push.email
}

output "dead_letter_subscriptions" {
  description = "Where undeliverable messages wait (npm run cli -- dead-letters list)."
  value       = [module.sync_requests.dead_letter_subscription_name, module.sync_tick.dead_letter_subscription_name]
}

output "next_steps" {
  description = "What the administrator does after terraform apply."
  value       = <<-EOT
    1. OAuth client ${var.console_oauth_client_id}: add ${module.functions["console"].uri}/ (with the trailing
       slash) as an authorised redirect URI (Google Cloud console > APIs & Services > Credentials).
    2. Domain-wide delegation: create a service account of its own for it (not one of those above, and with no
       role in any project), make a .p12 key, and in the Workspace admin console authorise its client id for
       https://www.googleapis.com/auth/calendar.
    3. Open ${module.functions["console"].uri} as one of ${join(", ", var.admin_emails)} and complete the org
       setup: the Severa client id and secret, the delegation account's e-mail, the .p12 and its password. The
       console stores the secrets in Secret Manager; Terraform never holds them.
    4. Severa change notices: have Severa or its relay post to ${module.functions["severaWebhook"].uri}, signed
       with the severa-webhook-secret secret the org setup created.
    5. ${var.push_domain == "" ? "No push domain: Google Calendar changes arrive with the safety syncs (every 15 minutes). To get them at once, verify a domain, set push_domain and apply again." : "Push domain ${var.push_domain}: create the DNS records of push_domain_dns_records; push channels open at ${local.push_address} once its certificate is issued."}
    6. Each person opens the console and switches their own sync on.
  EOT
}
