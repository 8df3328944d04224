"""Analysis: what-if scenarios and sweeps, plots, and seeded synthetic consortia."""
