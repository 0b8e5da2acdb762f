"""Running an analysis: one loop (`loop`), the store-free per-document work (`analysis`), and the
executors that run that work in this process (`local`) or on a Dask cluster (`dask`).

`narrascope.pipeline.analyze` is the public entry; the web upload uses `RunLoop` directly.
"""

from narrascope.run.analysis import DocumentAnalysis, Failed, load_analysis, load_analyzers
from narrascope.run.executor import RunStopped, WorkerCosts
from narrascope.run.local import LocalExecutor
from narrascope.run.loop import ProgressCallback, RunLoop, RunReport

__all__ = [
    "DocumentAnalysis",
    "Failed",
    "LocalExecutor",
    "ProgressCallback",
    "RunLoop",
    "RunReport",
    "RunStopped",
    "WorkerCosts",
    "load_analysis",
    "load_analyzers",
]
