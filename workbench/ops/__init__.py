"""Running the workbench: backups and restores of its database."""
