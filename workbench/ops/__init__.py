"""Running the workbench: whether it is alive and ready to serve, and the worker's heartbeat."""
