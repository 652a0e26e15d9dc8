"""The reconciler: a timer-driven sweep that closes the gaps the event-driven pipeline cannot see itself.

Three gaps, each bounded per run (`ReconcilePolicy.max_files`):
* `eventgrid`: BlobCreated events Event Grid dead-lettered (container `eventgrid-deadletter`) are read,
  counted, and the blobs they name driven through the validator's normal path;
* `incoming`: a blob in `incoming/` with no timeline, first sighted `unseen_after` ago (a lost event that
  was not even dead-lettered), is driven the same way;
* `stalled`: a file whose timeline has not moved for `stalled_after` is re-driven (the validator, while its
  original is still in `incoming/`) or failed and compensated through the normal `file.failed` path.
Every act is claimed first (create-if-absent under `workflow/reconciler/claims/`), so several instances
can run at once, and recorded on the file's timeline as a `reconciled` event. Entry point:
`shared.handlers.reconcile.run.reconcile` (this package imports nothing, so `shared.services` can use
its policy without a cycle).
"""
