"""Staff-only admin pages under /manage/ (the portal's look; Django's admin stays for raw
data). Non-staff accounts get 404, anonymous visitors the sign-in page."""
