"""The JSON API under ``/api``: registers, jobs, packages and monitoring (`routes`), versions and
their exports (`versions`), boundaries (`boundaries`), the 审核's signature (`sign`), a failed
job's retry (`jobs`), and the helpers only these routes use."""
