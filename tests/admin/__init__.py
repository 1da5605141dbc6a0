"""Administration: stations, regions, people, the dashboard, the CLI, backup, migrations, audit."""
