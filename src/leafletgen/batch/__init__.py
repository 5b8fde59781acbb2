"""Batch: plan the leaflet x language jobs, run them on an executor (this
process, a local pool, Dask) and publish what comes back."""
