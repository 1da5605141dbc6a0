"""The official report, its PDF, versions and queue, share links and the exports."""
