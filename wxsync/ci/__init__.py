"""Running in CI: GitHub Actions output (masks, annotations, summary) and committing the state back."""
