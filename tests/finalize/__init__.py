"""定稿: the checklist, the review of all that gets locked, sign-off and the snapshot it keeps."""
