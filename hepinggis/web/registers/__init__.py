"""Registers as the API and the pages show them: series of versions, changes by identity,
confirmations, the filter (`_versions`), and every row accounted for (`_accounting`)."""
