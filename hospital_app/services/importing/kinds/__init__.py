"""One writer per import kind (IMPORT.md): ``products`` and ``volumes`` (products.py),
``purchases``, ``orders``, ``reported-volumes`` (reported_volumes.py). Each takes a ``Run``
and writes nothing while the run has problems; ``transaction.import_file`` dispatches."""
