"""Administration: what admins configure (profiles, teams, accounts, labels, CAs), through
staff-only pages and Horizon's admin API shapes, and as a JSON file (export/import)."""
