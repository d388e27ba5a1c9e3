"""Journey audit and segment simulation over real event logs, as SQL run by DuckDB in-process.

``sql`` builds the script (plain SQL with DuckDB's JSON and list functions, parameters as
``SET VARIABLE``), ``roles`` reads which events are purchases, checkouts and carts from the ir,
``engine`` runs it and reads the results, ``report`` prints them.
"""
