"""CLI subcommands, one module each (see humangov_deploy.cli)."""
