"""Independent checks: re-verify an allocation from the input alone, never from solver data."""
