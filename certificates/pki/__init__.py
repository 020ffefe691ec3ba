"""The built-in CA's cryptography: keys, names, CSRs, signing, PKCS#12, CRLs.

Pure functions over ``cryptography`` objects; no database access here."""
