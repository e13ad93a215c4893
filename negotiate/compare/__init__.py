"""Compare compromise options side by side: concepts, drafted packages, scenarios.

- `batch`: `compare(...)` runs one job per scenario on any executor (jobs
  whose worker dies are retried once on a fresh worker);
- `table`: `Comparison`, the table of rows and its views;
- the analyses it draws on (options, metrics, Pareto dominance) live in
  `negotiate.analysis`.
"""

from negotiate.compare.batch import BASE, Job, WorkerError, compare, run_job, sweep_scenarios, worker_init
from negotiate.compare.table import Comparison

__all__ = ["BASE", "Comparison", "Job", "WorkerError", "compare", "run_job", "sweep_scenarios", "worker_init"]
