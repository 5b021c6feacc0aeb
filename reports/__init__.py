"""Reports: when a client's daily report falls due (its local time, DST as documented in
reports/README.md), the report's CSV, and the keys a custom report groups by — pure, no I/O."""
