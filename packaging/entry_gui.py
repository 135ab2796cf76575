"""Bundle entry point of ``hospital-app-gui`` (the desktop app without a console window)."""

import multiprocessing

# The bundle is its own Python: a child process (the reader of a big worksheet, issue 21) starts
# this executable again, and freeze_support() runs the child's work instead of the app.
multiprocessing.freeze_support()

from ui.app import main

raise SystemExit(main())
