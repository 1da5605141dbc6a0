"""Evidence photos: upload, mark-up, captions, no-photo reasons, hostile pictures."""
