"""The command-line front end (docs/CLI.md): parse, call a service, print."""
