"""Sign-in, sessions, CSRF, passwords, headers and every hostile request."""
