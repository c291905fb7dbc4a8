"""Background work: leases, the reaper, orphan blobs, readiness (issue 15 items 5 and 6)."""
