"""Running the workbench: backups and restores of its database, whether it is alive and ready to
serve, and the worker's heartbeat."""
