"""Work done outside a request: uploads received and audited, the job queue and its warm worker
processes (`_jobs`), what the workers do, builds swapped in under one lock, the filtered briefing
package, and jobs as the pages show them (`_job_view`)."""
