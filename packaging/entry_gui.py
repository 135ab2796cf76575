"""Bundle entry point of ``hospital-app-gui`` (the desktop app without a console window)."""

from ui.app import main

raise SystemExit(main())
