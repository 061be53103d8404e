"""Same-job A/B: the base revision measured in a worker process, in rounds paired with head's.

`worktree` makes the base tree, `controller` starts and drives the worker (the head side),
`protocol` is what they say to each other; the worker's pytest side is `plugin/ab_worker.py`.
"""
