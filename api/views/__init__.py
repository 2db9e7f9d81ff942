"""The endpoints of /api/v1/, one module per group (reference data and shifts,
people, seats, messages) and the schema and its documentation page."""
