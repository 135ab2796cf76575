"""Bundle entry point of ``hospital-app`` (the command line; no command starts the app)."""

from hospital_app.cli.main import main

raise SystemExit(main())
