"""``python -m repgeo`` runs the command line."""

import sys

from .cli import main

if __name__ == "__main__":  # worker processes started by spawn (Dask's LocalCluster) import this module too
    sys.exit(main())
