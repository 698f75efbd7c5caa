"""Real-world domains (human pose lifting, traffic forecasting): data builders, groups and task cards."""
