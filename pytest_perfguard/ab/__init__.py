"""Same-job A/B: the base revision measured in worker processes, in rounds paired with head's.

`worktree` makes the base tree in the run's directory (`rundir`, which also clears what killed
runs left), `controller` starts and drives the workers with a deadline on every answer,
`sides` is one benchmark on one worker, `protocol` is what they say to each other, `lifetime`
ties a worker's life to the controller's; the worker's pytest side is `plugin/ab_worker.py`.
"""
