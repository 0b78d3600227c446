output "address" {
  description = "https://<domain>/ when a domain is mapped, else empty."
  value       = var.domain == "" ? "" : "https://${var.domain}/"
}

output "dns_records" {
  description = "The DNS records to create for the domain (empty without one)."
  value = flatten([
    for mapping in google_cloud_run_domain_mapping.this : [
      for record in mapping.status[0].resource_records : {
        name   = record.name
        type   = record.type
        rrdata = record.rrdata
      }
    ]
  ])
}
