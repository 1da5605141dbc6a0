"""The station's side: its findings, rectification answers, deadlines, reviews and the mail about them."""
